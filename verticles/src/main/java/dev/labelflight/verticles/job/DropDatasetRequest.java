package dev.labelflight.verticles.job;

import dev.labelflight.engine.error.LabelFlightException;
import io.vertx.core.json.JsonObject;

/** {@code drop_dataset}: {@code {"dataset"}}, the name as its user gave it. */
public record DropDatasetRequest(String dataset) {
  public static DropDatasetRequest fromJson(JsonObject body) {
    String given = body == null ? null : body.getString("dataset");
    if (given == null) {
      throw LabelFlightException.invalid("missing 'dataset'");
    }
    return new DropDatasetRequest(given);
  }

  public JsonObject toJson() {
    return new JsonObject().put("dataset", dataset);
  }
}
