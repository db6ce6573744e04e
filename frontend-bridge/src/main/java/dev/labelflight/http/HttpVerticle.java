package dev.labelflight.http;

import dev.labelflight.engine.auth.Tls;
import dev.labelflight.engine.auth.UserDirectory;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.Transport;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face: {@code /health} (liveness), {@code /ready} (readiness), {@code /metrics} (Prometheus), the SockJS event-bus bridge at {@code /eventbus} (only the addresses
 * of {@link BridgePolicy}) and the web UI at {@code /} (static files from the jar's {@code webroot/}).
 * Config: {@code host}, {@code port}, {@code maxBodyBytes} (largest browser message), {@code replyTimeoutMs},
 * {@code tls: {certFile, keyFile}} (PEM; HTTPS when both are set). With an enabled user directory,
 * {@code /metrics} and every bridge message need a user's token ({@link BridgeAuth}); {@code /health} and
 * {@code /ready} answer anyone with up/down only and a user (a valid token) with the node's details; the
 * static page stays open.
 */
public final class HttpVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);
  private static final int REFUSED = 403;
  private static final int TOO_LARGE = 413;

  private final Supplier<JsonObject> nodeInfo;
  private final java.util.concurrent.Callable<JsonObject> readiness;
  private final Supplier<Future<String>> metrics;
  private final Instant started = Instant.now();
  /** The routing-context key under which authenticated routes find the user (null without authentication). */
  public static final String USER = "labelflight.user";

  private final UserDirectory users;
  private final List<HttpRoutes> routes;
  private HttpServer server;

  /**
   * {@code nodeInfo} adds node facts (budget, cluster) to {@code /health} for callers with a user's token;
   * called on the event loop, must not block. It must name no user and no stored dataset.
   */
  public HttpVerticle(Supplier<JsonObject> nodeInfo) {
    this(nodeInfo, () -> new JsonObject().put("ready", true));
  }

  /**
   * {@code readiness} runs on a worker (it may touch the disk) and returns {@code {"ready": bool, ...}};
   * {@code /ready} answers 200 when ready, else 503, with that JSON.
   */
  public HttpVerticle(Supplier<JsonObject> nodeInfo, java.util.concurrent.Callable<JsonObject> readiness) {
    this(nodeInfo, readiness, () -> Future.failedFuture("metrics are not enabled"));
  }

  /** As above; {@code /metrics} answers what {@code metrics} produces (Prometheus text format), 503 if it fails. */
  public HttpVerticle(Supplier<JsonObject> nodeInfo, java.util.concurrent.Callable<JsonObject> readiness,
      Supplier<Future<String>> metrics) {
    this(nodeInfo, readiness, metrics, UserDirectory.disabled());
  }

  /** As above; when {@code users} is enabled, {@code /metrics} and the bridge need a user's bearer token. */
  public HttpVerticle(Supplier<JsonObject> nodeInfo, java.util.concurrent.Callable<JsonObject> readiness,
      Supplier<Future<String>> metrics, UserDirectory users) {
    this(nodeInfo, readiness, metrics, users, List.of());
  }

  /** As above, with more routes (uploads, exports: {@link HttpRoutes}) mounted before the static files. */
  public HttpVerticle(Supplier<JsonObject> nodeInfo, java.util.concurrent.Callable<JsonObject> readiness,
      Supplier<Future<String>> metrics, UserDirectory users, List<HttpRoutes> routes) {
    this.routes = List.copyOf(routes);
    this.users = users;
    this.nodeInfo = nodeInfo;
    this.readiness = readiness;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    BridgePolicy policy = new BridgePolicy(config().getInteger("maxBodyBytes", 1 << 20));
    BridgeAuth auth = new BridgeAuth(vertx, users, config().getLong("replyTimeoutMs", 60_000L));
    Router router = Router.router(vertx);
    // Probes answer up/down to anyone; the details (node, cluster, memory, why not ready) only to a user.
    router.get("/health").handler(ctx -> auth.optionalUser(ctx, user -> {
      JsonObject body = new JsonObject().put("status", "UP");
      if (user) {
        body.put("started", started.toString()).mergeIn(nodeInfo.get());
      }
      ctx.json(body);
    }));
    router.get("/ready").handler(ctx -> auth.optionalUser(ctx, user -> vertx.executeBlocking(readiness, false)
        .onComplete(ar -> {
          JsonObject body = ar.succeeded() ? ar.result()
              : new JsonObject().put("ready", false).put("error", String.valueOf(ar.cause().getMessage()));
          ctx.response().setStatusCode(body.getBoolean("ready", false) ? 200 : 503);
          ctx.json(user ? body : new JsonObject().put("ready", body.getBoolean("ready", false)));
        })));
    router.get("/metrics").handler(auth::requireUser).handler(ctx -> metrics.get().onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(ar.result());
      } else {
        ctx.response().setStatusCode(503).end(String.valueOf(ar.cause().getMessage()));
      }
    }));
    // WebSocket only: the HTTP fallback transports buffer POST bodies without a size limit, and every
    // browser LabelFlight supports has WebSockets, whose frame limits are set below.
    // The SockJS iframe page names the client library to load: ours (vendored), never a CDN.
    SockJSHandlerOptions sockJsOptions = new SockJSHandlerOptions().setRegisterWriteHandler(false)
        .setLibraryURL("/vendor/sockjs.min.js");
    for (Transport transport : List.of(Transport.XHR, Transport.EVENT_SOURCE, Transport.HTML_FILE, Transport.JSON_P)) {
      sockJsOptions.addDisabledTransport(transport.name());
    }
    SockJSHandler sockJs = SockJSHandler.create(vertx, sockJsOptions);
    router.route("/eventbus/*").subRouter(sockJs.bridge(
        policy.bridgeOptions(config().getLong("replyTimeoutMs", 60_000L)), event -> check(policy, auth, event)));
    routes.forEach(r -> r.mount(router, auth::requireUser));
    router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    // Browsers send a whole message as one frame: both limits sit above the bridge's body limit, so an
    // oversized message reaches the bridge check and gets a clear answer instead of a dropped socket.
    int transportLimit = 2 * policy.maxBodyBytes() + 4096;
    HttpServerOptions options = new HttpServerOptions()
        .setMaxWebSocketFrameSize(transportLimit)
        .setMaxWebSocketMessageSize(transportLimit);
    JsonObject tlsConf = config().getJsonObject("tls", new JsonObject());
    Tls tls = Tls.of(tlsConf.getString("certFile"), tlsConf.getString("keyFile"));
    if (tls != null) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertPath(tls.certFile().toString()).setKeyPath(tls.keyFile().toString()));
    }
    return vertx.createHttpServer(options)
        .requestHandler(router)
        .listen(config().getInteger("port", 8080), config().getString("host", "127.0.0.1"))
        .onSuccess(s -> server = s);
  }

  /**
   * Refuses what the policy refuses, then what authentication refuses (see {@link BridgeAuth}), answering the
   * sender's reply address so its request fails with the reason.
   */
  private static void check(BridgePolicy policy, BridgeAuth auth, BridgeEvent event) {
    JsonObject raw = event.getRawMessage();
    String refusal = null;
    int code = REFUSED;
    if (event.type() == BridgeEventType.SEND || event.type() == BridgeEventType.PUBLISH) {
      int bytes = raw.toBuffer().length();
      refusal = policy.sendRefusal(raw.getString("address"), bytes);
      if (refusal != null && bytes > policy.maxBodyBytes()) {
        code = TOO_LARGE;
      }
    } else if (event.type() == BridgeEventType.REGISTER) {
      refusal = policy.registerRefusal(raw.getString("address"));
    }
    if (refusal != null) {
      refuse(event, code, refusal);
      return;
    }
    if (event.type() != BridgeEventType.SEND && event.type() != BridgeEventType.PUBLISH
        && event.type() != BridgeEventType.REGISTER) {
      event.complete(true);
      return;
    }
    var remote = event.socket().remoteAddress();
    auth.admit(event.type(), raw, remote == null ? null : remote.hostAddress()).onComplete(ar -> {
      if (ar.succeeded()) {
        event.complete(true);
      } else if (ar.cause() instanceof BridgeAuth.Refused r) {
        refuse(event, r.code(), r.getMessage());
      } else {
        refuse(event, REFUSED, String.valueOf(ar.cause().getMessage()));
      }
    });
  }

  private static void refuse(BridgeEvent event, int code, String refusal) {
    JsonObject raw = event.getRawMessage();
    LOG.debug("bridge refused {} to {}: {}", event.type(), raw.getString("address"), refusal);
    String replyAddress = raw.getString("replyAddress");
    if (replyAddress != null) {
      event.socket().write(new JsonObject()
          .put("type", "err")
          .put("address", replyAddress)
          .put("failureCode", code)
          .put("failureType", "RECIPIENT_FAILURE")
          .put("message", "refused by the bridge: " + refusal)
          .encode());
    }
    event.complete(false);
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return server.actualPort();
  }
}
