package dev.labelflight.verticles.worker;

import io.vertx.core.json.JsonObject;

/**
 * A chunk worker's answer to a task of its own node: the chunk is done ({@link #report}), or the worker
 * hands the task back ({@link #handedBack}: why), because its memory did not come free within
 * {@code memory.waitMs}. A handed-back task goes to the front of the queue; its job goes on. Failures are
 * bus failures, as everywhere.
 */
public record ChunkOutcome(String job, int chunk, ChunkReport report, String handedBack) {

  public static ChunkOutcome done(ChunkReport report) {
    return new ChunkOutcome(report.job(), report.chunk(), report, null);
  }

  public static ChunkOutcome handedBack(String job, int chunk, String why) {
    return new ChunkOutcome(job, chunk, null, why);
  }

  public boolean isDone() {
    return report != null;
  }

  public JsonObject toJson() {
    return report != null ? new JsonObject().put("done", report.toJson())
        : new JsonObject().put("job", job).put("chunk", chunk).put("handedBack", handedBack);
  }

  public static ChunkOutcome fromJson(JsonObject json) {
    JsonObject done = json.getJsonObject("done");
    return done != null ? done(ChunkReport.fromJson(done))
        : handedBack(json.getString("job"), json.getInteger("chunk"), json.getString("handedBack"));
  }
}
