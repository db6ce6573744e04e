package dev.labelflight.verticles.job;

import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import io.vertx.core.json.JsonObject;

/**
 * A request naming one job ({@code job_status}, {@code cancel}): {@code {"job"}}. Read once at the edge,
 * where a missing or malformed id is INVALID_ARGUMENT.
 */
public record JobQuery(String job, boolean specs) {
  public JobQuery(String job) {
    this(job, false);
  }

  /** {@code "specs": true} (job_status): the job's LF specs too (the review pages highlight where LFs match). */
  public static JobQuery fromJson(JsonObject body) {
    String id = body == null ? null : body.getString("job");
    if (id == null) {
      throw LabelFlightException.invalid("missing 'job'");
    }
    return new JobQuery(LabelStore.validateJobId(id), Boolean.TRUE.equals(body.getValue("specs")));
  }

  public JsonObject toJson() {
    JsonObject out = new JsonObject().put("job", job);
    return specs ? out.put("specs", true) : out;
  }
}
