package dev.labelflight.verticles.worker;

import dev.labelflight.engine.apply.ApplyRequest;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.node.NodeResources;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;

/**
 * A worker verticle (deploy with {@code ThreadingModel.WORKER}) that labels one chunk at a time. It
 * announces its room on {@link Addresses#WORKER_READY} when it starts and after every task, and only
 * then gets the next one. Per task it reserves the chunk's memory estimate from the node budget (asking
 * the coordinator to evict idle resident datasets first if the budget is short), caps its Arrow
 * allocator at the same number, labels the chunk through the label cache and frees the reservation. An
 * allocator that hits its cap fails the attempt cleanly; the chunk is retried once with
 * {@value #RETRY_FACTOR} times the estimate, then reported as RESOURCE_EXHAUSTED. It may block: on
 * disk, on the budget and on LF evaluation; that is what worker threads are for.
 */
public final class ChunkWorker extends VerticleBase {
  static final int RETRY_FACTOR = 4;
  private static final int JOBS_KEPT = 16;
  private static final io.vertx.core.eventbus.DeliveryOptions LOCAL =
      new io.vertx.core.eventbus.DeliveryOptions().setLocalOnly(true);

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
    vertx.eventBus().send(Addresses.WORKER_READY, new JsonObject().put("worker", id), LOCAL);
  }

  private void onTask(Message<JsonObject> message) {
    try {
      message.reply(run(message.body()));
    } catch (Throwable t) {
      BusErrors.fail(message, t);
    } finally {
      announceRoom();
    }
  }

  /** The report of a finished chunk, as the coordinator reads it. */
  public static JsonObject report(String job, ChunkLabeler.Result result, int retries) {
    JsonArray computed = new JsonArray();
    for (int i : result.computed()) {
      computed.add(i);
    }
    // Faults of fault-tolerant LFs on this chunk, by LF position: {"3": 12}.
    JsonObject faults = new JsonObject();
    for (int i = 0; result.faults() != null && i < result.faults().length; i++) {
      if (result.faults()[i] > 0) {
        faults.put(Integer.toString(i), result.faults()[i]);
      }
    }
    return new JsonObject()
        .put("job", job)
        .put("chunk", result.chunk())
        .put("rows", result.rows())
        .put("bytes", result.payload().bytes())
        .put("crc32c", result.payload().crc32c())
        .put("evalNanos", result.evalNanos())
        .put("computed", computed)
        .put("faults", faults)
        .put("retries", retries);
  }

  private JsonObject run(JsonObject task) throws Exception {
    String job = task.getString("job");
    if (node.cancelledJobs().contains(job)) {
      throw new LabelFlightException(LabelFlightException.Kind.CANCELLED, "job " + job + " was cancelled");
    }
    int chunkIndex = task.getInteger("chunk");
    // A task lent by another node names the Flight endpoint of the dataset's owner: read from there.
    String ownerFlight = task.getString("ownerFlight");
    Manifest manifest = ownerFlight == null
        ? node.datasets().manifest(task.getString("dataset"), task.getInteger("version"))
        : node.remote().manifest(ownerFlight, task.getString("dataset"), task.getInteger("version"));
    ChunkLabeler.JobLfs lfs = jobLfs.get(job);
    if (lfs == null) {
      ApplyRequest request = ApplyRequest.parse(task.getString("request"));
      lfs = node.labeler().jobLfs(manifest, request.lfs(), request.labels());
      jobLfs.put(job, lfs);
    }
    long estimate = Math.max(1, (long) (node.execution().estimateScale()
        * (ChunkLabeler.memoryEstimate(manifest.chunk(chunkIndex), lfs.specs().size()) + lfs.derivedEstimate(chunkIndex))));
    for (int attempt = 0; ; attempt++) {
      long bytes = attempt == 0 ? estimate : Math.min(estimate * RETRY_FACTOR, node.budget().maxBytes());
      String owner = "job " + job + " chunk " + chunkIndex + " attempt " + attempt;
      reserve(owner, bytes);
      try (BufferAllocator allocator = node.allocator().newChildAllocator(owner, 0, bytes)) {
        if (ownerFlight == null) {
          return report(job, node.labeler().label(manifest, chunkIndex, lfs, allocator, null), attempt)
              .put("node", node.nodeId());
        }
        ChunkLabeler.Result result = node.labeler().labelFrom(manifest, chunkIndex, lfs, allocator,
            node.remote().chunks(ownerFlight));
        return report(job, result, attempt).put("node", node.nodeId())
            .put("labels", result.concatenatedColumns());
      } catch (OutOfMemoryException e) {
        if (attempt >= 1) {
          throw LabelFlightException.exhausted("chunk " + chunkIndex + " needs more memory than its estimate: "
              + mib(estimate) + " MiB failed, the retry with " + mib(bytes) + " MiB failed too (" + e.getMessage() + ")");
        }
      } finally {
        node.budget().free(owner, bytes);
      }
    }
  }

  /**
   * Takes the bytes now if free; else asks the coordinator to evict idle resident datasets and waits in
   * the budget's queue. The request is not awaited: its reply would need this worker's own context,
   * which is busy right here; evictions free permits, and that is what the wait is for.
   */
  private void reserve(String owner, long bytes) throws Exception {
    if (node.budget().tryReserve(owner, bytes)) {
      return;
    }
    vertx.eventBus().send(Addresses.RESIDENT_RECLAIM, new JsonObject().put("bytes", bytes), LOCAL);
    node.budget().reserve(owner, bytes).get();
  }

  private static long mib(long bytes) {
    return Math.max(1, (bytes + (1 << 19)) >> 20);
  }
}
