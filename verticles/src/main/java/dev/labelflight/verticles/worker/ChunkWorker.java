package dev.labelflight.verticles.worker;

import dev.labelflight.engine.apply.ApplyRequest;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.lf.CompiledLfSet;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.node.NodeResources;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A worker verticle (deploy with {@code ThreadingModel.WORKER}) that labels one chunk at a time. It
 * announces its room on {@link Addresses#WORKER_READY} when it starts and after every task, and only
 * then gets the next one. Per task it reserves the chunk's memory estimate from the node budget, caps
 * its Arrow allocator at the same number, labels the chunk and frees the reservation. It may block:
 * on disk, on the budget and on LF evaluation; that is what worker threads are for.
 */
public final class ChunkWorker extends VerticleBase {
  private static final int COMPILED_JOBS_KEPT = 16;

  private final NodeResources node;
  private final String id = UUID.randomUUID().toString();
  private final Map<String, CompiledLfSet> compiled = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, CompiledLfSet> eldest) {
      return size() > COMPILED_JOBS_KEPT;
    }
  };
  private ChunkLabeler labeler;

  public ChunkWorker(NodeResources node) {
    this.node = node;
  }

  @Override
  public Future<?> start() {
    labeler = node.labeler();
    return vertx.eventBus().<JsonObject>consumer(Addresses.worker(id), this::onTask).completion()
        .onSuccess(v -> announceRoom());
  }

  private void announceRoom() {
    vertx.eventBus().send(Addresses.WORKER_READY, new JsonObject().put("worker", id));
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

  private JsonObject run(JsonObject task) throws Exception {
    String job = task.getString("job");
    int chunkIndex = task.getInteger("chunk");
    Manifest manifest = node.datasets().manifest(task.getString("dataset"), task.getInteger("version"));
    CompiledLfSet lfs = compiled.get(job);
    if (lfs == null) {
      ApplyRequest request = ApplyRequest.parse(task.getString("request"));
      lfs = node.compiler().compile(request.lfs(), request.labels(), manifest.arrowSchema());
      compiled.put(job, lfs);
    }
    long estimate = ChunkLabeler.memoryEstimate(manifest.chunk(chunkIndex), lfs.size());
    String owner = "job " + job + " chunk " + chunkIndex;
    node.budget().reserve(owner, estimate).get();
    try (BufferAllocator allocator = node.allocator().newChildAllocator(owner, 0, estimate)) {
      ChunkLabeler.Result result = labeler.label(job, manifest, chunkIndex, lfs, allocator);
      return new JsonObject()
          .put("chunk", chunkIndex)
          .put("rows", result.rows())
          .put("bytes", result.file().bytes())
          .put("crc32c", result.file().crc32c())
          .put("evalNanos", result.evalNanos());
    } finally {
      node.budget().free(owner, estimate);
    }
  }
}
