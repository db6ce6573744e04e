package dev.labelflight.verticles.resident;

import dev.labelflight.engine.memory.footprint.DerivedFootprint;
import dev.labelflight.engine.memory.footprint.LabelFootprint;
import dev.labelflight.engine.apply.ApplyRequest;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.ResidentText;
import dev.labelflight.engine.memory.Reservation;
import dev.labelflight.engine.store.ChunkSource;
import dev.labelflight.engine.store.DatasetRef;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.bus.LocalDelivery;
import dev.labelflight.verticles.lending.LentChunkOutcome;
import dev.labelflight.verticles.node.MemoryAdmission;
import dev.labelflight.verticles.node.NodeResources;
import dev.labelflight.verticles.worker.ChunkReport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dataset version held in memory (deploy with {@code ThreadingModel.WORKER}): it loads every chunk
 * once, into an allocator capped at the {@link Reservation} it was given, which it holds for life and
 * closes when it stops. A job sent to {@link #address()} ({@link ResidentRun}) takes a second reservation
 * for its label arrays, all or nothing, for as many chunks at a time as fit (down to one; waiting at most
 * {@code resident.admissionWaitMs}, else RESOURCE_EXHAUSTED with the bytes needed and free), and is then
 * evaluated over its chunks that many at a time on the copy's own pool, with the job's
 * {@link CancelToken} bound around every chunk and checked between chunks. Each chunk reports on
 * {@link Addresses#CHUNK_DONE} as it finishes, or, for a job of another node, to that node's
 * {@link Addresses#result(String)} as a binary {@link LentChunkOutcome} (a delivery that fails twice fails
 * the run, and the home node runs the rest on its queue). Undeploying it (idle TTL or eviction by the
 * coordinator) closes the chunks and gives the bytes back.
 *
 * <p>Once loaded, a {@link TextIndexBuilder} copies and indexes the chunks' text columns in the background;
 * jobs read a column's kept copy once it is built and never wait for it.
 */
public final class ResidentDataset extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ResidentDataset.class);
  private static final long DELIVERY_TIMEOUT_MS = 30_000;

  private final NodeResources node;
  private final Manifest manifest;
  private final DatasetRef ref;
  private final Reservation reservation;
  private final ChunkSource source;
  private final String id = UUID.randomUUID().toString();
  private BufferAllocator allocator;
  private final List<VectorSchemaRoot> chunks = new ArrayList<>();
  /** Each chunk's text columns, kept for every job with their skip indexes (built in the background; budgeted). */
  private final List<ResidentText> texts = new ArrayList<>();
  private ForkJoinPool pool;
  /** Where the text index build runs: a thread of its own, unless a test holds it back. */
  private final Executor indexThread;
  private TextIndexBuilder indexes;
  private boolean released;
  /** Set when the node stops while this copy is still loading: the loader stops and cleans up. */
  private volatile boolean abandoned;
  private final Promise<Void> loadEnded = Promise.promise();

  /**
   * {@code reservation} holds the copy's bytes already; this verticle is its holder from now on and closes
   * it when it stops (or fails to load).
   */
  public ResidentDataset(NodeResources node, Manifest manifest, Reservation reservation, ChunkSource source) {
    this(node, manifest, reservation, source, work -> {
      Thread thread = new Thread(work, "resident-index " + DatasetRef.of(manifest));
      thread.setDaemon(true);
      thread.setPriority(Thread.MIN_PRIORITY);
      thread.start();
    });
  }

  /** As above, with the text index build run by {@code indexThread}. */
  ResidentDataset(NodeResources node, Manifest manifest, Reservation reservation, ChunkSource source,
      Executor indexThread) {
    this.indexThread = indexThread;
    this.node = node;
    this.manifest = manifest;
    this.ref = DatasetRef.of(manifest);
    this.reservation = reservation;
    this.source = source;
  }

  public String address() {
    return Addresses.resident(id);
  }

  /** Bytes a job's label arrays take per chunk evaluated at once on a copy of {@code manifest} (at least 1 MiB). */
  public static long labelBytesPerChunk(Manifest manifest, ChunkLabeler.JobLfs lfs, double estimateScale) {
    int maxRows = manifest.chunks().stream().mapToInt(Manifest.Chunk::rows).max().orElse(0);
    long maxDerived = 0;
    for (int i = 0; i < manifest.chunks().size(); i++) {
      maxDerived = Math.max(maxDerived, DerivedFootprint.reading(lfs.derived(), i));
    }
    return Math.max(1 << 20, (long) (estimateScale * (LabelFootprint.chunk(maxRows, lfs.specs().size()) + maxDerived)));
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> {
      try {
        long started = System.nanoTime();
        synchronized (this) {
          allocator = node.allocator().newChildAllocator("resident " + ref, 0, reservation.bytes());
        }
        for (int i = 0; i < manifest.chunks().size(); i++) {
          if (abandoned) {
            throw new CancellationException("node stopping: resident load abandoned");
          }
          VectorSchemaRoot chunk = source.read(manifest, i, allocator);
          synchronized (this) {
            chunks.add(chunk);
            texts.add(new ResidentText(chunk, node.execution().residentHeap()));
          }
        }
        synchronized (this) {
          pool = new ForkJoinPool(node.execution().residentThreads());
          indexes = new TextIndexBuilder(ref.toString(), texts, pool.getParallelism());
          if (!released) {
            indexes.start(indexThread);
          }
        }
        LOG.info("resident {}: {} chunks loaded in {} ms ({} MiB held)", ref, chunks.size(),
            (System.nanoTime() - started) / 1_000_000, reservation.bytes() >> 20);
        return null;
      } finally {
        loadEnded.tryComplete();
      }
    }).compose(v -> vertx.eventBus().<JsonObject>localConsumer(address(), this::onRun).completion())
        .onFailure(e -> release());
  }

  /**
   * For a copy whose deployment has not completed (Vert.x will not stop it): makes the loader stop at
   * the next chunk; completes once nothing of it is left allocated and its bytes are back.
   */
  public Future<Void> abandon() {
    abandoned = true;
    // On a worker: release waits (milliseconds) for the index builder if the load got as far as starting it.
    return loadEnded.future().transform(v -> vertx.<Void>executeBlocking(() -> {
      release();
      return null;
    }));
  }

  /** The text index builder, once the chunks are loaded (null before). */
  synchronized TextIndexBuilder indexes() {
    return indexes;
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
    if (indexes != null) {
      // The builder reads the chunks' vectors: it stops before they are closed.
      indexes.stop();
    }
    texts.forEach(ResidentText::close);
    try {
      AutoCloseables.close(chunks);
      if (allocator != null) {
        allocator.close();
      }
    } catch (Exception e) {
      LOG.warn("resident {} did not close cleanly", ref, e);
    } finally {
      long bytes = reservation.bytes();
      reservation.close();
      LOG.info("resident {} released ({} MiB)", ref, bytes >> 20);
    }
  }

  /** Runs one job over every chunk; blocks this worker until all are done, the job is cancelled, or one fails. */
  private void onRun(Message<JsonObject> message) {
    ResidentRun run;
    try {
      run = ResidentRun.fromJson(message.body());
    } catch (LabelFlightException e) {
      BusErrors.fail(message, e);
      return;
    }
    CancelToken token = node.jobTokens().open(run.job());
    try (Reservation labels = node.memoryPool().newReservation("label arrays of job " + run.job() + " on resident " + ref)) {
      token.throwIfCancelled();
      ApplyRequest request = ApplyRequest.parse(run.request());
      ChunkLabeler.JobLfs lfs = node.labeler().jobLfs(manifest, request.lfs(), request.labels());
      long perChunk = labelBytesPerChunk(manifest, lfs, node.execution().estimateScale());
      int parallelism = admit(labels, perChunk, Math.max(1, Math.min(chunks.size(), pool.getParallelism())), token);
      AtomicInteger next = new AtomicInteger();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<java.util.concurrent.Future<?>> loops = new ArrayList<>(parallelism);
      for (int p = 0; p < parallelism; p++) {
        loops.add(pool.submit(() -> {
          indexes.jobLoops(1);
          try {
            for (int chunk = next.getAndIncrement(); chunk < chunks.size() && failure.get() == null;
                 chunk = next.getAndIncrement()) {
              try {
                token.throwIfCancelled();
                runChunk(run, chunk, lfs, perChunk, token);
              } catch (Throwable t) {
                failure.compareAndSet(null, t);
              }
            }
          } finally {
            indexes.jobLoops(-1);
          }
        }));
      }
      for (java.util.concurrent.Future<?> loop : loops) {
        try {
          loop.get();
        } catch (ExecutionException e) {
          failure.compareAndSet(null, e.getCause());
        }
      }
      if (failure.get() != null) {
        throw failure.get();
      }
      message.reply(new JsonObject().put("chunks", chunks.size()));
    } catch (Throwable t) {
      BusErrors.fail(message, t);
    } finally {
      indexes.jobEnded();
      node.jobTokens().close(run.job());
    }
  }

  /**
   * Holds the label arrays of as many chunks at a time as fit now (all or nothing for each try, from the
   * most useful down to one); if not even one fits, waits at most {@code resident.admissionWaitMs} for one.
   * Returns how many chunks may run at once.
   */
  private int admit(Reservation labels, long perChunk, int maxParallel, CancelToken token) {
    for (int p = maxParallel; p >= 1; p--) {
      if (labels.trySetBytes(perChunk * p)) {
        return p;
      }
    }
    long[] lastAsk = {0};
    try {
      // While waiting, idle copies (never this one: a job runs on it) may be evicted to make room.
      MemoryAdmission.poll(node.memoryPool(), labels, perChunk, node.execution().residentAdmissionWait(), token, () -> {
        long now = System.nanoTime();
        if (now - lastAsk[0] > 200_000_000L) {
          lastAsk[0] = now;
          vertx.eventBus().send(Addresses.RESIDENT_RECLAIM, new JsonObject().put("bytes", perChunk),
              LocalDelivery.options());
        }
      });
    } catch (LabelFlightException e) {
      if (e.kind() != LabelFlightException.Kind.RESOURCE_EXHAUSTED) {
        throw e;
      }
      throw LabelFlightException.exhausted("the label arrays of this job on the resident copy of "
          + manifest.name() + " v" + manifest.version() + " need " + MemoryAdmission.mib(perChunk)
          + " MiB per chunk; " + e.getMessage());
    }
    return 1;
  }

  private void runChunk(ResidentRun run, int chunk, ChunkLabeler.JobLfs lfs, long cap, CancelToken token) {
    String holder = "resident job " + run.job() + " chunk " + chunk;
    // The chunk is held already; what grows here is label arrays and cached columns read back.
    try (BufferAllocator taskAllocator = node.allocator().newChildAllocator(holder, 0, cap)) {
      ChunkLabeler.Result result = token.within(() ->
          node.labeler().label(manifest, chunk, lfs, taskAllocator, chunks.get(chunk), texts.get(chunk)));
      ChunkReport report = ChunkReport.of(run.job(), result, 0, node.nodeId());
      if (run.home() == null) {
        vertx.eventBus().send(Addresses.CHUNK_DONE, report.toJson(), LocalDelivery.options());
      } else {
        deliver(run.home(), LentChunkOutcome.done(report, result.columns(), result.rows(), taskAllocator).toBuffer());
      }
    } catch (OutOfMemoryException e) {
      throw LabelFlightException.exhausted("chunk " + chunk + " needed more than its estimate of "
          + (cap >> 20) + " MiB: " + e.getMessage());
    }
  }

  /** Blocking (a pool thread): sends a chunk's outcome to its home node, once more if that fails. */
  private void deliver(String home, Buffer outcome) {
    Exception last = null;
    for (int attempt = 0; attempt < 2; attempt++) {
      try {
        vertx.eventBus().request(Addresses.result(home), outcome, new DeliveryOptions().setSendTimeout(DELIVERY_TIMEOUT_MS))
            .toCompletionStage().toCompletableFuture().get(DELIVERY_TIMEOUT_MS + 1_000, TimeUnit.MILLISECONDS);
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LabelFlightException(LabelFlightException.Kind.CANCELLED, "interrupted while delivering labels");
      } catch (Exception e) {
        last = e;
      }
    }
    throw new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE, "labels could not be delivered to node "
        + home + ": " + BusErrors.toLabelFlight(last).getMessage());
  }
}
