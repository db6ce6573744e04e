package dev.labelflight.verticles.bus;

import dev.labelflight.engine.error.LabelFlightException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import dev.labelflight.verticles.job.DropDatasetRequest;
import dev.labelflight.verticles.job.JobQuery;
import dev.labelflight.verticles.job.ProgressQuery;

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
    return request(Addresses.JOB_STATUS, new JobQuery(job).toJson());
  }

  /** Deletes every version of a dataset and its cached labels. */
  public Future<JsonObject> dropDataset(String dataset) {
    return request(Addresses.DROP_DATASET, new DropDatasetRequest(dataset).toJson());
  }

  /** Computes and stores a derived column (see {@link Addresses#DERIVE}). */
  public Future<JsonObject> derive(JsonObject body) {
    return request(Addresses.DERIVE, body);
  }

  /** Cancels a job; completes with its status once its running chunks have stopped (see {@code jobs.stopWaitMs}). */
  public Future<JsonObject> cancel(String job) {
    return request(Addresses.CANCEL, new JobQuery(job).toJson());
  }

  /** Completes when more than {@code after} leading chunks are done, the job ended, or a few seconds passed. */
  public Future<JsonObject> awaitProgress(String job, int after) {
    return request(Addresses.AWAIT_PROGRESS, new ProgressQuery(job, after).toJson());
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

  /** The caller's stored label models. */
  public Future<JsonObject> models() {
    return request(Addresses.MODELS, new JsonObject());
  }

  /** A stored label model ({@code NAME} or {@code NAME@vK}) with its whole document. */
  public Future<JsonObject> model(String model) {
    return request(Addresses.MODEL, new JsonObject().put("model", model));
  }

  /** Deletes a stored label model (every version, or one as {@code NAME@vK}). */
  public Future<JsonObject> deleteModel(String model) {
    return request(Addresses.DELETE_MODEL, new JsonObject().put("model", model));
  }

  /** Stores an exported label model document: {@code {"name"?, "document"}}. */
  public Future<JsonObject> importModel(JsonObject body) {
    return request(Addresses.IMPORT_MODEL, body);
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
        .recover(error -> Future.failedFuture(about(BusErrors.toLabelFlight(error, subject(body)), body)));
  }

  /** What a request is about, for a timeout's message: its job, else its dataset; null if neither. */
  private static String subject(Object body) {
    if (body instanceof JsonObject json && json.getValue("job") instanceof String job) {
      return "job '" + job + "'";
    }
    if (body instanceof JsonObject json && json.getValue("dataset") instanceof String dataset) {
      return "dataset '" + dataset + "'";
    }
    return null;
  }

  /** The error with the request's job (or dataset) among its details, unless it names one already. */
  private static LabelFlightException about(LabelFlightException error, Object body) {
    if (body instanceof JsonObject json && !error.details().containsKey(LabelFlightException.Detail.JOB)
        && !error.details().containsKey(LabelFlightException.Detail.DATASET)) {
      if (json.getValue("job") instanceof String job) {
        error.withDetail(LabelFlightException.Detail.JOB, job);
      } else if (json.getValue("dataset") instanceof String dataset) {
        error.withDetail(LabelFlightException.Detail.DATASET, dataset);
      }
    }
    return error;
  }
}
