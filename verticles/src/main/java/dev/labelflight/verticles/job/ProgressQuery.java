package dev.labelflight.verticles.job;

import dev.labelflight.engine.error.LabelFlightException;
import io.vertx.core.json.JsonObject;

/**
 * {@code await_progress}: {@code {"job", "after"}}; answered when more than {@code after} leading chunks
 * are done, the job ended, or a few seconds passed.
 */
public record ProgressQuery(String job, int after) {
  public static ProgressQuery fromJson(JsonObject body) {
    JobQuery query = JobQuery.fromJson(body);
    Object after = body.containsKey("after") ? body.getValue("after") : -1;
    if (!(after instanceof Number n)) {
      throw LabelFlightException.invalid("'after' must be a chunk count");
    }
    return new ProgressQuery(query.job(), n.intValue());
  }

  public JsonObject toJson() {
    return new JsonObject().put("job", job).put("after", after);
  }
}
