package dev.labelflight.verticles.labels;

import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.verticles.bus.LabelFlightApi;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.Single;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The one place that knows how to go through a job's label chunks in row order: which chunks the
 * coordinator reports done (with their sizes and checksums) and how to read each from the label store.
 * Everything that consumes a job's label matrix goes through here: label streams as they finish
 * ({@link #feed}), analysis and label models once the job ended ({@link #awaitFinished},
 * {@link #forEachFinished}).
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

  /** One finished label chunk of a job: its index and the size and checksum its file must have. */
  public record DoneChunk(int index, AtomicFiles.Written file) {}

  /** Asks the coordinator for a job's progress past {@code after} leading chunks (see AWAIT_PROGRESS); non-blocking. */
  @FunctionalInterface
  public interface Progress {
    Future<JsonObject> await(String job, int after);
  }

  /**
   * The job's {@code chunks} label chunks in row order, each as soon as it is done: a cold, back-pressured
   * stream that asks the coordinator for progress only when its subscriber wants the next chunk (and
   * again, at AWAIT_PROGRESS's pace, while that chunk is not done). Every progress reply's finished chunks
   * are kept for the next requests, so a finished job costs one reply. Fails if the job ends without all
   * its chunks ({@link JobEndedException}). Read each chunk with {@link #read}.
   */
  public static Flowable<DoneChunk> feed(String job, int chunks, Progress progress) {
    Map<Integer, DoneChunk> known = new ConcurrentHashMap<>();
    return Flowable.range(0, chunks).concatMapSingle(index -> {
      DoneChunk ready = known.remove(index);
      if (ready != null) {
        return Single.just(ready);
      }
      return Single.defer(() -> Single.fromCompletionStage(progress.await(job, index).toCompletionStage()))
          .repeat()
          .filter(reply -> {
            for (Object o : reply.getJsonArray("files", new JsonArray())) {
              JsonObject f = (JsonObject) o;
              known.put(f.getInteger("chunk"), new DoneChunk(f.getInteger("chunk"),
                  new AtomicFiles.Written(f.getLong("bytes"), f.getLong("crc32c"))));
            }
            return known.containsKey(index) || !"RUNNING".equals(reply.getString("state"));
          })
          .firstOrError()
          .flatMap(reply -> {
            DoneChunk done = known.remove(index);
            return done != null ? Single.just(done) : Single.<DoneChunk>error(ended(job, reply));
          });
    }, 1);
  }

  /** Blocking: reads one finished chunk (checked against its size and checksum) into a root the caller closes. */
  public VectorSchemaRoot read(String job, DoneChunk chunk, BufferAllocator allocator) {
    return labels.read(job, chunk.index(), chunk.file(), allocator);
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
