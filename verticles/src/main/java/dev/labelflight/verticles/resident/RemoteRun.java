package dev.labelflight.verticles.resident;

import dev.labelflight.engine.store.DatasetRef;
import io.vertx.core.json.JsonObject;

/** A home node runs one of its jobs on a copy another node holds: each chunk's outcome goes back to {@code home}. */
public record RemoteRun(String job, String request, String home, DatasetRef dataset) {
  public JsonObject toJson() {
    return new JsonObject().put("job", job).put("request", request).put("home", home)
        .put("dataset", dataset.name()).put("version", dataset.version());
  }

  public static RemoteRun fromJson(JsonObject json) {
    return new RemoteRun(json.getString("job"), json.getString("request"), json.getString("home"),
        new DatasetRef(json.getString("dataset"), json.getInteger("version")));
  }
}
