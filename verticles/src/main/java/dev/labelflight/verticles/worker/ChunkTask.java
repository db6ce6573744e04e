package dev.labelflight.verticles.worker;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.DatasetRef;
import io.vertx.core.json.JsonObject;

/**
 * One chunk of one job for a {@link ChunkWorker}: the job, its dataset version, the chunk's index, the
 * apply body (the worker compiles the LFs once per job) and, for a task lent by another node, that home
 * node's Flight endpoint (where the chunk is fetched from; null for a task of this node).
 */
public record ChunkTask(String job, DatasetRef dataset, int chunk, String request, String homeFlight) {

  /** Whether the task is another node's, lent to this one. */
  public boolean borrowed() {
    return homeFlight != null;
  }

  /** The same task lent to another node: it reads the chunk from {@code homeFlight}. */
  public ChunkTask lentFrom(String homeFlight) {
    return new ChunkTask(job, dataset, chunk, request, homeFlight);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("job", job).put("dataset", dataset.name()).put("version", dataset.version())
        .put("chunk", chunk).put("request", request);
    if (homeFlight != null) {
      json.put("homeFlight", homeFlight);
    }
    return json;
  }

  public static ChunkTask fromJson(JsonObject json) {
    try {
      return new ChunkTask(json.getString("job"), new DatasetRef(json.getString("dataset"), json.getInteger("version")),
          json.getInteger("chunk"), json.getString("request"), json.getString("homeFlight"));
    } catch (RuntimeException e) {
      throw LabelFlightException.invalid("malformed chunk task: " + e.getMessage());
    }
  }
}
