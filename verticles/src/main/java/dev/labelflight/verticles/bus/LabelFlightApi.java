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
    // Every API consumer is node-local; calls for another node's data are forwarded over Flight.
    this.options = new DeliveryOptions().setSendTimeout(timeoutMs).setLocalOnly(true);
  }

  private LabelFlightApi(Vertx vertx, DeliveryOptions options) {
    this.vertx = vertx;
    this.options = options;
  }

  /**
   * The same API acting for {@code user} (the authenticated caller, {@link Caller}): datasets are looked up
   * in that user's namespace and only that user's jobs are found. {@code null} gives this API back.
   */
  public LabelFlightApi forUser(String user) {
    return user == null ? this : new LabelFlightApi(vertx, Caller.stamp(new DeliveryOptions().setSendTimeout(options.getSendTimeout()).setLocalOnly(true), user));
  }

  /** Submits an apply body; completes with the job id. */
  public Future<String> apply(String body) {
    return request(Addresses.APPLY, body).map(reply -> reply.getString("job"));
  }

  public Future<JsonObject> status(String job) {
    return request(Addresses.JOB_STATUS, new JsonObject().put("job", job));
  }

  /** Deletes every version of a dataset and its cached labels. */
  public Future<JsonObject> dropDataset(String dataset) {
    return request(Addresses.DROP_DATASET, new JsonObject().put("dataset", dataset));
  }

  /** Computes and stores a derived column (see {@link Addresses#DERIVE}). */
  public Future<JsonObject> derive(JsonObject body) {
    return request(Addresses.DERIVE, body);
  }

  public Future<JsonObject> cancel(String job) {
    return request(Addresses.CANCEL, new JsonObject().put("job", job));
  }

  /** Completes when more than {@code after} leading chunks are done, the job ended, or a few seconds passed. */
  public Future<JsonObject> awaitProgress(String job, int after) {
    return request(Addresses.AWAIT_PROGRESS, new JsonObject().put("job", job).put("after", after));
  }

  /** LF analysis of a job (waits for it to end): {@code {"job", "gold"?}}. */
  public Future<JsonObject> analysis(JsonObject body) {
    return request(Addresses.ANALYSIS, body);
  }

  /** Fits a label model on a job (waits for it to end); completes with the model's id and parameters. */
  public Future<JsonObject> fitLabelModel(JsonObject body) {
    return request(Addresses.FIT_LABEL_MODEL, body);
  }

  /** A fitted model with its parameters ({@code params}). */
  public Future<JsonObject> labelModel(String job, String model) {
    return request(Addresses.LABEL_MODEL, new JsonObject().put("job", job).put("model", model));
  }

  /** The caller's LF set of a dataset, shared with the web page: {@code {"dataset", "version"?}} ({@link Addresses#LFSETS_GET}). */
  public Future<JsonObject> lfSet(JsonObject body) {
    return request(Addresses.LFSETS_GET, body);
  }

  /** Saves the next version of an LF set: {@code {"dataset", "set", "baseVersion"?, "source"?}} ({@link Addresses#LFSETS_PUT}). */
  public Future<JsonObject> saveLfSet(JsonObject body) {
    return request(Addresses.LFSETS_PUT, body);
  }

  /** The versions of an LF set, newest first: {@code {"dataset", "limit"?}} ({@link Addresses#LFSETS_HISTORY}). */
  public Future<JsonObject> lfSetHistory(JsonObject body) {
    return request(Addresses.LFSETS_HISTORY, body);
  }

  /** Size and classes of a dataset version's dev set: {@code {"dataset", "version"?}} ({@link Addresses#DEVSET_GET}). */
  public Future<JsonObject> devSetInfo(JsonObject body) {
    return request(Addresses.DEVSET_GET, body);
  }

  private Future<JsonObject> request(String address, Object body) {
    return vertx.eventBus().<JsonObject>request(address, body, options)
        .map(reply -> reply.body())
        .recover(error -> Future.failedFuture(BusErrors.toLabelFlight(error)));
  }
}
