package dev.labelflight.verticles.lending;

import dev.labelflight.engine.cancel.CancelToken;
import io.vertx.core.json.JsonObject;

/**
 * A job's home node tells a node that runs chunks of it (borrowed tasks, a run on a resident copy held
 * there) to stop them: their cancel token there is cancelled with {@code reason}.
 */
public record StopJob(String job, CancelToken.Reason reason, String detail) {
  public JsonObject toJson() {
    return new JsonObject().put("job", job).put("reason", reason.name()).put("detail", detail);
  }

  public static StopJob fromJson(JsonObject json) {
    return new StopJob(json.getString("job"), CancelToken.Reason.valueOf(json.getString("reason")),
        json.getString("detail"));
  }
}
