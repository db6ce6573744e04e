package dev.labelflight.http;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * The HTTP face: {@code /health} now; the SockJS event-bus bridge, web UI and metrics grow here.
 * Config: {@code host}, {@code port}.
 */
public final class HttpVerticle extends VerticleBase {
  private final Supplier<JsonObject> nodeInfo;
  private final Instant started = Instant.now();
  private HttpServer server;

  /** {@code nodeInfo} adds node facts (budget, data directory) to {@code /health}; called on the event loop, must not block. */
  public HttpVerticle(Supplier<JsonObject> nodeInfo) {
    this.nodeInfo = nodeInfo;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> ctx.json(new JsonObject()
        .put("status", "UP")
        .put("started", started.toString())
        .mergeIn(nodeInfo.get())));
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
