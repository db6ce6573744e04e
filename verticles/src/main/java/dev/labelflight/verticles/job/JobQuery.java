package dev.labelflight.verticles.job;

import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import io.vertx.core.json.JsonObject;

/**
 * A request naming one job ({@code job_status}, {@code cancel}): {@code {"job"}}. Read once at the edge,
 * where a missing or malformed id is INVALID_ARGUMENT.
 */
public record JobQuery(String job) {
  public static JobQuery fromJson(JsonObject body) {
    String id = body == null ? null : body.getString("job");
    if (id == null) {
      throw LabelFlightException.invalid("missing 'job'");
    }
    return new JobQuery(LabelStore.validateJobId(id));
  }

  public JsonObject toJson() {
    return new JsonObject().put("job", job);
  }
}
