package dev.labelflight.verticles.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

/**
 * The client side of the job API on the event bus, for the Flight endpoint and the HTTP bridge: each
 * call fails with a {@link dev.labelflight.engine.error.LabelFlightException}.
 */
public final class LabelFlightApi {
  private final Vertx vertx;
  private final DeliveryOptions options;

  public LabelFlightApi(Vertx vertx, long timeoutMs) {
    this.vertx = vertx;
    this.options = new DeliveryOptions().setSendTimeout(timeoutMs);
  }

  /** Submits an apply body; completes with the job id. */
  public Future<String> apply(String body) {
    return request(Addresses.APPLY, body).map(reply -> reply.getString("job"));
  }

  public Future<JsonObject> status(String job) {
    return request(Addresses.JOB_STATUS, new JsonObject().put("job", job));
  }

  public Future<JsonObject> cancel(String job) {
    return request(Addresses.CANCEL, new JsonObject().put("job", job));
  }

  /** Completes when more than {@code after} leading chunks are done, the job ended, or a few seconds passed. */
  public Future<JsonObject> awaitProgress(String job, int after) {
    return request(Addresses.AWAIT_PROGRESS, new JsonObject().put("job", job).put("after", after));
  }

  private Future<JsonObject> request(String address, Object body) {
    return vertx.eventBus().<JsonObject>request(address, body, options)
        .map(reply -> reply.body())
        .recover(error -> Future.failedFuture(BusErrors.toLabelFlight(error)));
  }
}
