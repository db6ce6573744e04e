package dev.labelflight.verticles.resident;

import dev.labelflight.engine.apply.ApplyRequest;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.ResidentText;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.node.NodeResources;
import dev.labelflight.verticles.worker.ChunkWorker;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dataset version held in memory (deploy with {@code ThreadingModel.WORKER}): it loads every chunk
 * once, into an allocator capped at the reservation it was given, and keeps that reservation for life.
 * A job sent to {@link #address()} is evaluated over all chunks in parallel on its own pool (one thread
 * per core by default); each chunk reports on {@link Addresses#CHUNK_DONE} as it finishes (or, for a
 * job of another node, to that node's {@link Addresses#result(String)} with its labels). Undeploying
 * it (idle TTL or eviction by the coordinator) closes the chunks and gives the permits back.
 */
public final class ResidentDataset extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ResidentDataset.class);

  private final NodeResources node;
  private final Manifest manifest;
  private final String owner;
  private final long reservedBytes;
  private final dev.labelflight.engine.store.ChunkSource source;
  private final String id = UUID.randomUUID().toString();
  private BufferAllocator allocator;
  private final List<VectorSchemaRoot> chunks = new ArrayList<>();
  /** Each chunk's text columns, kept for every job with their skip index (built on first use; budgeted). */
  private final List<ResidentText> texts = new ArrayList<>();
  private ForkJoinPool pool;
  private boolean released;
  /** Set when the node stops while this copy is still loading: the loader stops and cleans up. */
  private volatile boolean abandoned;
  private final io.vertx.core.Promise<Void> loadEnded = io.vertx.core.Promise.promise();

  /** {@code owner} already holds {@code reservedBytes} of the node budget; this verticle frees them when it stops. */
  public ResidentDataset(NodeResources node, Manifest manifest, String owner, long reservedBytes) {
    this(node, manifest, owner, reservedBytes, (m, i, a) -> node.datasets().readChunk(m, i, a));
  }

  /** As above, loading chunks from {@code source} (another node's dataset, fetched over Flight). */
  public ResidentDataset(NodeResources node, Manifest manifest, String owner, long reservedBytes,
      dev.labelflight.engine.store.ChunkSource source) {
    this.source = source;
    this.node = node;
    this.manifest = manifest;
    this.owner = owner;
    this.reservedBytes = reservedBytes;
  }

  public String address() {
    return Addresses.resident(id);
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> {
      try {
        long started = System.nanoTime();
        synchronized (this) {
          allocator = node.allocator().newChildAllocator("resident " + manifest.name() + "@" + manifest.version(), 0,
              reservedBytes);
        }
        for (int i = 0; i < manifest.chunks().size(); i++) {
          if (abandoned) {
            throw new java.util.concurrent.CancellationException("node stopping: resident load abandoned");
          }
          VectorSchemaRoot chunk = source.read(manifest, i, allocator);
          synchronized (this) {
            chunks.add(chunk);
            texts.add(new ResidentText(chunk, node.execution().residentHeap()));
          }
        }
        pool = new ForkJoinPool(node.execution().residentThreads());
        LOG.info("resident {} v{}: {} chunks loaded in {} ms ({} MiB held)", manifest.name(), manifest.version(),
            chunks.size(), (System.nanoTime() - started) / 1_000_000, reservedBytes >> 20);
        return null;
      } finally {
        loadEnded.tryComplete();
      }
    }).compose(v -> vertx.eventBus().<JsonObject>localConsumer(address(), this::onRun).completion())
        .onFailure(e -> release());
  }

  /**
   * For a copy whose deployment has not completed (Vert.x will not stop it): makes the loader stop at
   * the next chunk; completes once nothing of it is left allocated and its permits are back.
   */
  public Future<Void> abandon() {
    abandoned = true;
    return loadEnded.future().onComplete(v -> release());
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      release();
      return null;
    });
  }

  private synchronized void release() {
    if (released) {
      return;
    }
    released = true;
    if (pool != null) {
      pool.shutdownNow();
    }
    texts.forEach(ResidentText::close);
    try {
      AutoCloseables.close(chunks);
      if (allocator != null) {
        allocator.close();
      }
    } catch (Exception e) {
      LOG.warn("resident {} v{} did not close cleanly", manifest.name(), manifest.version(), e);
    } finally {
      node.budget().free(owner, reservedBytes);
      LOG.info("resident {} v{} released ({} MiB)", manifest.name(), manifest.version(), reservedBytes >> 20);
    }
  }

  /**
   * Runs one job over every chunk in parallel; blocks this worker until all are done. The label side
   * of one chunk per pool thread is reserved once for the whole job, and each chunk task's allocator is
   * capped at its share.
   */
  private void onRun(Message<JsonObject> message) {
    String job = message.body().getString("job");
    // A job of another node ("home"): each chunk's labels go there.
    String home = message.body().getString("home");
    String taskOwner = "resident job " + job;
    long perChunk = 0;
    long reserved = 0;
    try {
      ApplyRequest request = ApplyRequest.parse(message.body().getString("request"));
      ChunkLabeler.JobLfs lfs = node.labeler().jobLfs(manifest, request.lfs(), request.labels());
      int maxRows = manifest.chunks().stream().mapToInt(Manifest.Chunk::rows).max().orElse(0);
      long maxDerived = 0;
      for (int i = 0; i < chunks.size(); i++) {
        maxDerived = Math.max(maxDerived, lfs.derivedEstimate(i));
      }
      perChunk = Math.max(1 << 20, (long) (node.execution().estimateScale()
          * (ChunkLabeler.labelEstimate(maxRows, lfs.specs().size()) + maxDerived)));
      reserved = perChunk * Math.max(1, Math.min(chunks.size(), pool.getParallelism()));
      node.budget().reserve(taskOwner, reserved).get();
      long cap = perChunk;
      List<java.util.concurrent.Future<?>> tasks = new ArrayList<>(chunks.size());
      for (int i = 0; i < chunks.size(); i++) {
        int chunk = i;
        tasks.add(pool.submit(() -> runChunk(job, home, chunk, lfs, cap)));
      }
      Throwable failure = null;
      for (java.util.concurrent.Future<?> task : tasks) {
        try {
          task.get();
        } catch (ExecutionException e) {
          if (failure == null) {
            failure = e.getCause();
          }
        }
      }
      if (failure != null) {
        throw failure;
      }
      message.reply(new JsonObject().put("chunks", chunks.size()));
    } catch (Throwable t) {
      BusErrors.fail(message, t);
    } finally {
      if (node.budget().reservedBy(taskOwner) > 0) {
        node.budget().free(taskOwner, reserved);
      }
    }
  }

  private void runChunk(String job, String home, int chunk, ChunkLabeler.JobLfs lfs, long cap) {
    if (node.cancelledJobs().contains(job)) {
      return;
    }
    String taskOwner = "resident job " + job + " chunk " + chunk;
    // The chunk is held already; what grows here is label arrays and cached columns read back.
    try (BufferAllocator taskAllocator = node.allocator().newChildAllocator(taskOwner, 0, cap)) {
      ChunkLabeler.Result result = node.labeler().label(manifest, chunk, lfs, taskAllocator, chunks.get(chunk),
          texts.get(chunk));
      JsonObject report = ChunkWorker.report(job, result, 0).put("node", node.nodeId());
      if (home == null) {
        vertx.eventBus().send(Addresses.CHUNK_DONE, report, dev.labelflight.verticles.bus.LocalDelivery.options());
      } else {
        report.put("labels", result.concatenatedColumns());
        vertx.eventBus().request(Addresses.result(home), report);
      }
    } catch (org.apache.arrow.memory.OutOfMemoryException e) {
      throw LabelFlightException.exhausted("chunk " + chunk + " needed more than its estimate of "
          + (cap >> 20) + " MiB: " + e.getMessage());
    }
  }
}
