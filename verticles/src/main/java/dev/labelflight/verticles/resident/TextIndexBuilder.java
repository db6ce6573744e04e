package dev.labelflight.verticles.resident;

import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.lf.ResidentText;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a loaded resident copy's kept text columns and their indexes ({@link ResidentText}) in the
 * background, one column at a time, those a job has asked for first, as one task of its executor (a
 * thread of its own in production; never an event loop nor the copy's pool). Jobs never wait for it: a
 * chunk whose columns are not built yet is evaluated as on the queue. The builder pauses (within a few
 * thousand rows) while the first job after load evaluates chunks, so that this apply runs as fast as the
 * queue path even on a machine whose cores other work keeps busy; after that it pauses only while jobs'
 * chunk loops take every thread of the copy's pool, so that it uses the cores they leave idle and cannot
 * be starved by jobs run back to back (pausing for every job, it never finished under a benchmark's
 * back-to-back applies: their gaps are ~150 ms). Stopping
 * it cancels the build (every few thousand rows) and waits for it, so that the chunks it reads can be
 * closed after.
 */
final class TextIndexBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(TextIndexBuilder.class);
  private static final long STOP_WAIT_SECONDS = 30;

  private final String name;
  private final List<ResidentText> texts;
  private final int poolThreads;
  private final CancelToken token = CancelToken.create();
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private final Object gate = new Object();
  /** Jobs' chunk loops running now, and whether a job has ended since load (guarded by {@link #gate}). */
  private int busyLoops;
  private boolean firstJobDone;
  private boolean started;

  /** {@code texts} (not changed any more) of a copy named {@code name} whose pool has {@code poolThreads}. */
  TextIndexBuilder(String name, List<ResidentText> texts, int poolThreads) {
    this.name = name;
    this.texts = List.copyOf(texts);
    this.poolThreads = poolThreads;
  }

  /** Hands the build to {@code executor}; if it refuses, the copy simply keeps no columns. */
  synchronized void start(Executor executor) {
    if (token.isCancelled()) {
      return;
    }
    started = true;
    try {
      executor.execute(this::build);
    } catch (RuntimeException e) {
      started = false;
      done.complete(null);
      LOG.warn("resident {}: text indexes not built (jobs copy the text per chunk)", name, e);
    }
  }

  /** Completes when the build has ended: everything built or given up, or stopped. */
  CompletableFuture<Void> done() {
    return done;
  }

  /** A job's chunk loop starts ({@code +1}) or ends ({@code -1}) on the copy's pool. */
  void jobLoops(int delta) {
    synchronized (gate) {
      busyLoops += delta;
      gate.notifyAll();
    }
  }

  /** A job on the copy has ended: from now on the builder shares the cores jobs leave idle. */
  void jobEnded() {
    synchronized (gate) {
      firstJobDone = true;
      gate.notifyAll();
    }
  }

  /** Cancels the build and waits (at most 30 s; it stops within milliseconds) until it no longer runs. */
  void stop() {
    token.cancel(CancelToken.Reason.SHUTDOWN, "resident copy released");
    jobLoops(0);
    boolean wait;
    synchronized (this) {
      wait = started;
    }
    if (!wait) {
      return;
    }
    try {
      done.get(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException | ExecutionException e) {
      LOG.error("resident {}: the text index builder did not stop within {} s", name, STOP_WAIT_SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void build() {
    long startedAt = System.nanoTime();
    try {
      token.within(() -> {
        for (ResidentText next = next(); next != null; next = next()) {
          try {
            next.buildNext(this::pauseForJobs);
          } catch (CancelToken.CancelledException e) {
            throw e;
          } catch (RuntimeException e) {
            LOG.warn("resident {}: a text column was not indexed (its jobs copy it per chunk)", name, e);
          }
        }
        return null;
      });
      long bytes = texts.stream().mapToLong(ResidentText::bytes).sum();
      LOG.info("resident {}: text columns kept and indexed in {} ms ({} MiB of heap)", name,
          (System.nanoTime() - startedAt) / 1_000_000, bytes >> 20);
    } catch (CancelToken.CancelledException e) {
      LOG.debug("resident {}: text index build stopped: {}", name, e.getMessage());
    } catch (Throwable t) {
      LOG.warn("resident {}: text index build failed (jobs copy the text per chunk)", name, t);
    } finally {
      done.complete(null);
    }
  }

  /** A chunk with a column a job asked for, else the first with a column left to build; null when done. */
  private ResidentText next() {
    for (ResidentText text : texts) {
      if (text.wanted()) {
        return text;
      }
    }
    for (ResidentText text : texts) {
      if (!text.built()) {
        return text;
      }
    }
    return null;
  }

  /**
   * The build's pause point: waits while the first job's chunk loops run, later while jobs' loops take
   * every pool thread; throws once cancelled.
   */
  private void pauseForJobs() {
    synchronized (gate) {
      while (busyLoops >= (firstJobDone ? poolThreads : 1) && !token.isCancelled()) {
        try {
          gate.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new CancelToken.CancelledException(CancelToken.Reason.SHUTDOWN, "text index build interrupted");
        }
      }
    }
    token.throwIfCancelled();
  }
}
