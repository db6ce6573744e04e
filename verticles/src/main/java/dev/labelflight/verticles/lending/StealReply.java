package dev.labelflight.verticles.lending;

import dev.labelflight.verticles.worker.ChunkTask;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** The tasks a lender lends (each names the lender's Flight endpoint, where its chunk is fetched from). */
public record StealReply(List<ChunkTask> tasks) {
  public JsonObject toJson() {
    JsonArray array = new JsonArray();
    tasks.forEach(t -> array.add(t.toJson()));
    return new JsonObject().put("tasks", array);
  }

  public static StealReply fromJson(JsonObject json) {
    JsonArray array = json.getJsonArray("tasks", new JsonArray());
    List<ChunkTask> tasks = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      tasks.add(ChunkTask.fromJson(array.getJsonObject(i)));
    }
    return new StealReply(tasks);
  }
}
