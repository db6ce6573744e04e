package dev.labelflight.verticles.resident;

import dev.labelflight.engine.error.LabelFlightException;
import io.vertx.core.json.JsonObject;

/**
 * A job sent to a resident copy ({@link ResidentDataset#address()}): the job, its apply body, and for a
 * job of another node its {@code home} node, to which each chunk's outcome goes (null: this node's job).
 * Answered once every chunk is done, with {@code {"chunks": n}}.
 */
public record ResidentRun(String job, String request, String home) {
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("job", job).put("request", request);
    if (home != null) {
      json.put("home", home);
    }
    return json;
  }

  public static ResidentRun fromJson(JsonObject json) {
    if (json == null || json.getString("job") == null || json.getString("request") == null) {
      throw LabelFlightException.invalid("a resident run needs 'job' and 'request'");
    }
    return new ResidentRun(json.getString("job"), json.getString("request"), json.getString("home"));
  }
}
