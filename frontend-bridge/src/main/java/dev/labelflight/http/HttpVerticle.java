package dev.labelflight.http;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * The HTTP face: {@code /health} (liveness) and {@code /ready} (readiness) now; the SockJS event-bus bridge, web UI and metrics grow here.
 * Config: {@code host}, {@code port}.
 */
public final class HttpVerticle extends VerticleBase {
  private final Supplier<JsonObject> nodeInfo;
  private final java.util.concurrent.Callable<JsonObject> readiness;
  private final Instant started = Instant.now();
  private HttpServer server;

  /** {@code nodeInfo} adds node facts (budget, data directory) to {@code /health}; called on the event loop, must not block. */
  public HttpVerticle(Supplier<JsonObject> nodeInfo) {
    this(nodeInfo, () -> new JsonObject().put("ready", true));
  }

  /**
   * {@code readiness} runs on a worker (it may touch the disk) and returns {@code {"ready": bool, ...}};
   * {@code /ready} answers 200 when ready, else 503, with that JSON.
   */
  public HttpVerticle(Supplier<JsonObject> nodeInfo, java.util.concurrent.Callable<JsonObject> readiness) {
    this.nodeInfo = nodeInfo;
    this.readiness = readiness;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> ctx.json(new JsonObject()
        .put("status", "UP")
        .put("started", started.toString())
        .mergeIn(nodeInfo.get())));
    router.get("/ready").handler(ctx -> vertx.executeBlocking(readiness, false).onComplete(ar -> {
      JsonObject body = ar.succeeded() ? ar.result()
          : new JsonObject().put("ready", false).put("error", String.valueOf(ar.cause().getMessage()));
      ctx.response().setStatusCode(body.getBoolean("ready", false) ? 200 : 503);
      ctx.json(body);
    }));
    return vertx.createHttpServer()
        .requestHandler(router)
        .listen(config().getInteger("port", 8080), config().getString("host", "127.0.0.1"))
        .onSuccess(s -> server = s);
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return server.actualPort();
  }
}
