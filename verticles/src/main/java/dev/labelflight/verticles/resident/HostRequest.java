package dev.labelflight.verticles.resident;

import dev.labelflight.engine.store.DatasetRef;
import io.vertx.core.json.JsonObject;

/**
 * A home node asks another node to hold a resident copy of one of its datasets ({@code bytes} in memory,
 * admitted only if {@code headroom} more is free beside it for a job's label arrays), loaded from the home
 * node's Flight endpoint; answered once the copy is ready.
 */
public record HostRequest(DatasetRef dataset, String homeFlight, long bytes, long headroom) {
  public JsonObject toJson() {
    return new JsonObject().put("dataset", dataset.name()).put("version", dataset.version())
        .put("homeFlight", homeFlight).put("bytes", bytes).put("headroom", headroom);
  }

  public static HostRequest fromJson(JsonObject json) {
    return new HostRequest(new DatasetRef(json.getString("dataset"), json.getInteger("version")),
        json.getString("homeFlight"), json.getLong("bytes", 0L), json.getLong("headroom", 0L));
  }
}
