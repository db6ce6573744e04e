package dev.labelflight.verticles.review;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmodel.LabelModels;
import dev.labelflight.engine.review.ModelScores;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.bus.Caller;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds a fitted label model for a caller's job and turns it into {@link ModelScores} over the job's label
 * columns: asks {@link Addresses#LABEL_MODEL} {@code {"job", "model"}} (acting for the caller) for the model's
 * {@code classes}, {@code lfs} and {@code params}, and rebuilds it with {@link LabelModels#fromJson}.
 *
 * <p>TODO(lead, issue 21): with label-model artifacts the page passes the id {@code fit_label_model} returned
 * ({@code "NAME@vK"}). This works unchanged if {@link Addresses#LABEL_MODEL} answers {@code {"job", "model":
 * "NAME@vK"}} with {@code {"classes", "lfs", "params"}} where {@code params} rebuilds with
 * {@code LabelModels.fromJson}; otherwise replace {@link #scores} — the signature the review pages need is
 * {@code Future<ModelScores> scores(String user, JsonObject jobStatus, String modelId)}, failing NOT_FOUND for
 * a model the user does not own and INVALID_ARGUMENT when its LFs are not the job's (name them).
 */
public class ModelLookup {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Vertx vertx;
  private final long timeoutMs;

  public ModelLookup(Vertx vertx, long timeoutMs) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
  }

  /** The model {@code modelId} applied to the job of {@code jobStatus}, looked up for {@code user}. */
  public Future<ModelScores> scores(String user, JsonObject jobStatus, String modelId) {
    String job = jobStatus.getString("job");
    return vertx.eventBus().<JsonObject>request(Addresses.LABEL_MODEL, new JsonObject().put("job", job).put("model", modelId),
            Caller.stamp(new DeliveryOptions().setSendTimeout(timeoutMs).setLocalOnly(true), user))
        .recover(e -> Future.failedFuture(BusErrors.toLabelFlight(e)))
        .map(reply -> {
          JsonObject m = reply.body();
          if (Boolean.TRUE.equals(m.getValue("multiLabel"))) {
            throw LabelFlightException.invalid("label model '" + modelId + "' is multi-label; the review pages take single-label models");
          }
          try {
            return ModelScores.of(modelId, LabelModels.fromJson(JSON.readTree(m.getJsonObject("params").encode())),
                strings(m.getJsonArray("lfs")), strings(m.getJsonArray("classes")),
                strings(jobStatus.getJsonArray("lfs")), strings(jobStatus.getJsonArray("classes")));
          } catch (java.io.IOException e) {
            throw LabelFlightException.internal("cannot read label model " + modelId, e);
          }
        });
  }

  static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>(array.size());
    array.forEach(o -> out.add(String.valueOf(o)));
    return out;
  }
}
