package dev.labelflight.verticles.labels;

import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.verticles.bus.LabelFlightApi;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The one place that knows how to go through a job's label chunks in row order: which chunks the
 * coordinator reports done (with their sizes and checksums) and how to read each from the label store.
 * Everything that consumes a job's label matrix (label streams, analysis, label models) goes through here.
 */
public final class JobLabelChunks {
  private final LabelStore labels;

  public JobLabelChunks(LabelStore labels) {
    this.labels = labels;
  }

  /** Gets one label chunk; returns false to stop the walk. The chunk is closed after the call. */
  @FunctionalInterface
  public interface Visitor {
    boolean visit(int chunk, VectorSchemaRoot labels) throws Exception;
  }

  /** Blocks until more than {@code after} leading chunks are done or the job ended (see AWAIT_PROGRESS). */
  @FunctionalInterface
  public interface Progress {
    JsonObject await(String job, int after) throws Exception;
  }

  /**
   * Blocking: visits every chunk of the job in row order, each as soon as it is done. Returns true when all
   * were visited, false when the visitor stopped; fails if the job ends without all its chunks.
   * Call from a thread that may block and is not the Vert.x context the progress replies arrive on.
   */
  public boolean forEach(String job, Progress progress, BufferAllocator allocator, Visitor visitor) throws Exception {
    int next = 0;
    while (true) {
      JsonObject reply = progress.await(job, next);
      int total = reply.getInteger("chunksTotal");
      int[] cursor = {next};
      if (!visitDone(job, reply, cursor, allocator, visitor)) {
        return false;
      }
      next = cursor[0];
      if (next >= total) {
        return true;
      }
      if (!"RUNNING".equals(reply.getString("state"))) {
        throw ended(job, reply);
      }
    }
  }

  /**
   * Blocking: visits every chunk of a job that has ended successfully, given its final progress (from
   * {@link #awaitFinished}). Returns false when the visitor stopped.
   */
  public boolean forEachFinished(String job, JsonObject finalProgress, BufferAllocator allocator, Visitor visitor)
      throws Exception {
    int[] cursor = {0};
    if (!visitDone(job, finalProgress, cursor, allocator, visitor)) {
      return false;
    }
    if (cursor[0] < finalProgress.getInteger("chunksTotal")) {
      throw LabelFlightException.internal("job " + job + " reports " + cursor[0] + " of "
          + finalProgress.getInteger("chunksTotal") + " chunks done after it succeeded", null);
    }
    return true;
  }

  /** Visits the done chunks listed in a progress reply from {@code cursor[0]} on, advancing it. */
  private boolean visitDone(String job, JsonObject reply, int[] cursor, BufferAllocator allocator, Visitor visitor)
      throws Exception {
    for (Object o : reply.getJsonArray("files", new JsonArray())) {
      JsonObject f = (JsonObject) o;
      int chunk = f.getInteger("chunk");
      if (chunk != cursor[0]) {
        continue;
      }
      AtomicFiles.Written expected = new AtomicFiles.Written(f.getLong("bytes"), f.getLong("crc32c"));
      try (VectorSchemaRoot root = labels.read(job, chunk, expected, allocator)) {
        if (!visitor.visit(chunk, root)) {
          return false;
        }
      }
      cursor[0]++;
    }
    return true;
  }

  /**
   * Completes with the final progress of the job (every chunk's file) once it has ended successfully;
   * fails clearly if it failed or was cancelled. Non-blocking: waits with AWAIT_PROGRESS.
   */
  public static Future<JsonObject> awaitFinished(LabelFlightApi api, String job) {
    return api.status(job).compose(status -> awaitEnd(api, job, status.getInteger("chunksTotal")));
  }

  private static Future<JsonObject> awaitEnd(LabelFlightApi api, String job, int total) {
    // "after: total - 1" answers once every chunk is done, the job ended, or a few seconds passed.
    return api.awaitProgress(job, total - 1).compose(reply -> {
      String state = reply.getString("state");
      if ("RUNNING".equals(state)) {
        return awaitEnd(api, job, total);
      }
      if (!"SUCCEEDED".equals(state)) {
        return Future.failedFuture(ended(job, reply));
      }
      return api.awaitProgress(job, -1);
    });
  }

  /** The error for a job that ended without all its labels. */
  private static LabelFlightException ended(String job, JsonObject reply) {
    return JobEndedException.of(job, reply);
  }
}
