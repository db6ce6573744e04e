package dev.labelflight.verticles.worker;

import dev.labelflight.engine.memory.footprint.DerivedFootprint;
import dev.labelflight.engine.memory.footprint.ChunkFootprint;
import dev.labelflight.engine.apply.ApplyRequest;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.memory.Reservation;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.bus.LocalDelivery;
import dev.labelflight.verticles.lending.LentChunkOutcome;
import dev.labelflight.verticles.node.MemoryAdmission;
import dev.labelflight.verticles.node.NodeResources;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;

/**
 * A worker verticle (deploy with {@code ThreadingModel.WORKER}) that labels one chunk at a time. It
 * announces its room on {@link Addresses#WORKER_READY} when it starts and after every task, and only
 * then gets the next one. Per task it holds a {@link Reservation} of the chunk's memory estimate (asking
 * the coordinator to evict idle resident datasets first if the budget is short, and waiting at most
 * {@code memory.waitMs}, else it hands the task back), caps its Arrow allocator at the same number, and
 * labels the chunk through the label cache with the job's {@link CancelToken} bound to the thread, so that
 * a cancelled job's chunk stops at the evaluators' next check. An allocator that hits its cap fails the
 * attempt cleanly; the chunk is retried once with {@value #RETRY_FACTOR} times the estimate, then reported
 * as RESOURCE_EXHAUSTED. A task of this node is answered with a {@link ChunkOutcome}; a task borrowed from
 * another node with a binary {@link LentChunkOutcome} carrying the label columns as Arrow. It may block:
 * on disk, on the budget and on LF evaluation; that is what worker threads are for.
 */
public final class ChunkWorker extends VerticleBase {
  static final int RETRY_FACTOR = 4;
  private static final int JOBS_KEPT = 16;

  private final NodeResources node;
  private final String id = UUID.randomUUID().toString();
  private final Map<String, ChunkLabeler.JobLfs> jobLfs = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, ChunkLabeler.JobLfs> eldest) {
      return size() > JOBS_KEPT;
    }
  };

  public ChunkWorker(NodeResources node) {
    this.node = node;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<JsonObject>localConsumer(Addresses.worker(id), this::onTask).completion()
        .onSuccess(v -> announceRoom());
  }

  private void announceRoom() {
    vertx.eventBus().send(Addresses.WORKER_READY, new JsonObject().put("worker", id), LocalDelivery.options());
  }

  private void onTask(Message<JsonObject> message) {
    try {
      message.reply(run(ChunkTask.fromJson(message.body())));
    } catch (Throwable t) {
      BusErrors.fail(message, t);
    } finally {
      announceRoom();
    }
  }

  /** Labels the task's chunk; the reply: a {@link ChunkOutcome} as JSON, or a borrowed task's outcome as a Buffer. */
  private Object run(ChunkTask task) {
    CancelToken token = node.jobTokens().open(task.job());
    try {
      token.throwIfCancelled();
      Manifest manifest = task.borrowed()
          ? node.remote().manifest(task.homeFlight(), task.dataset().name(), task.dataset().version())
          : node.datasets().manifest(task.dataset().name(), task.dataset().version());
      ChunkLabeler.JobLfs lfs = jobLfs.get(task.job());
      if (lfs == null) {
        ApplyRequest request = ApplyRequest.parse(task.request());
        lfs = node.labeler().jobLfs(manifest, request.lfs(), request.labels());
        jobLfs.put(task.job(), lfs);
      }
      int chunk = task.chunk();
      long estimate = Math.max(1, (long) (node.execution().estimateScale()
          * (ChunkFootprint.labelling(manifest.chunk(chunk), lfs.specs().size()) + DerivedFootprint.reading(lfs.derived(), chunk))));
      for (int attempt = 0; ; attempt++) {
        long bytes = attempt == 0 ? estimate : Math.min(estimate * RETRY_FACTOR, node.memoryPool().maxBytes());
        String holder = "job " + task.job() + " chunk " + chunk + " attempt " + attempt;
        try (Reservation reservation = node.memoryPool().newReservation(holder)) {
          String short_ = reserve(reservation, bytes, token);
          if (short_ != null) {
            return handBack(task, short_);
          }
          try (BufferAllocator allocator = node.allocator().newChildAllocator(holder, 0, bytes)) {
            ChunkLabeler.JobLfs jobLfs = lfs;
            ChunkLabeler.Result result = token.within(() -> task.borrowed()
                ? node.labeler().labelFrom(manifest, chunk, jobLfs, allocator, node.remote().chunks(task.homeFlight()))
                : node.labeler().label(manifest, chunk, jobLfs, allocator, null));
            ChunkReport report = ChunkReport.of(task.job(), result, attempt, node.nodeId());
            if (!task.borrowed()) {
              return ChunkOutcome.done(report).toJson();
            }
            return LentChunkOutcome.done(report, result.columns(), result.rows(), allocator).toBuffer();
          } catch (OutOfMemoryException e) {
            if (attempt >= 1) {
              throw LabelFlightException.exhausted("chunk " + chunk + " needs more memory than its estimate: "
                  + mib(estimate) + " MiB failed, the retry with " + mib(bytes) + " MiB failed too (" + e.getMessage()
                  + ")");
            }
          }
        }
      }
    } finally {
      node.jobTokens().close(task.job());
    }
  }

  /**
   * Takes the bytes now if free; else asks the coordinator to evict idle resident datasets and waits in
   * the pool's queue, at most {@code memory.waitMs}. Returns null once the bytes are held, or why they are
   * not (the wait passed). A request that can never fit fails at once (RESOURCE_EXHAUSTED). The reclaim
   * request is not awaited: its reply would need this worker's own context, which is busy right here;
   * evictions free bytes, and that is what the wait is for.
   */
  private String reserve(Reservation reservation, long bytes, CancelToken token) {
    if (reservation.trySetBytes(bytes)) {
      return null;
    }
    vertx.eventBus().send(Addresses.RESIDENT_RECLAIM, new JsonObject().put("bytes", bytes), LocalDelivery.options());
    try {
      MemoryAdmission.await(reservation, bytes, node.execution().memoryWait(), token);
      return null;
    } catch (LabelFlightException e) {
      if (e.kind() == LabelFlightException.Kind.RESOURCE_EXHAUSTED) {
        return e.getMessage();
      }
      throw e;
    }
  }

  private Object handBack(ChunkTask task, String why) {
    return task.borrowed()
        ? LentChunkOutcome.returned(task.job(), task.chunk(), node.nodeId(), why).toBuffer()
        : ChunkOutcome.handedBack(task.job(), task.chunk(), why).toJson();
  }

  private static long mib(long bytes) {
    return Math.max(1, (bytes + (1 << 19)) >> 20);
  }
}
