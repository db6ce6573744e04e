package dev.labelflight.verticles.resident;

import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.memory.MemoryPool;
import dev.labelflight.engine.memory.Reservation;
import dev.labelflight.engine.store.ChunkSource;
import dev.labelflight.engine.store.DatasetRef;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.node.MemoryAdmission;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's resident copies as the coordinator manages them: admission, loading, use, eviction. A copy
 * is admitted only when its whole size is held in one {@link Reservation} (all or nothing): {@link #loadIfFree}
 * takes it only if it is free now (a copy "for next time"); {@link #load} first evicts idle copies, least
 * recently used first, then tries for at most {@code resident.admissionWaitMs} without queueing in front of
 * smaller requests, and fails with RESOURCE_EXHAUSTED naming the bytes needed and free. Whoever waits for a
 * copy is a named waiter; when the last one gives up ({@link #leave}), a pending admission stops.
 * Copies with no job running are evicted after {@code resident.idleMs} ({@link #evictIdle}), or least
 * recently used first when queued work needs memory ({@link #reclaim}); a dropped dataset's copies go at
 * once. Evicting a copy gives its bytes back (its verticle closes the reservation).
 *
 * <p>Event-loop only (the coordinator's context); the pool's reservations are sized on workers, since a
 * cluster-wide pool may block.
 */
public final class ResidentPool {
  private static final Logger LOG = LoggerFactory.getLogger(ResidentPool.class);
  private static final long RECLAIM_ASK_MS = 200;

  /** Loads and unloads copies (the server's deploys {@link ResidentDataset} verticles). */
  public interface CopyLoader {
    /** Starts loading a copy that holds {@code reservation} (closed by the copy when it stops or fails). */
    CopyHandle start(Manifest manifest, Reservation reservation, ChunkSource source);
  }

  /** One copy being loaded or loaded. */
  public interface CopyHandle {
    /** Completes with the copy's bus address once it is loaded; fails if it cannot be. */
    Future<String> loaded();

    /** Stops the copy (also while it loads); completes when its memory is given back. */
    Future<Void> unload();
  }

  /** A copy as the pool knows it. */
  public static final class ResidentCopy {
    private final DatasetRef ref;
    private final long bytes;
    private CopyState state = CopyState.LOADING;
    private boolean admitted;
    private CopyHandle handle;
    private String address;
    private int activeJobs;
    private long lastUsed;
    private final Map<String, Promise<ResidentCopy>> waiters = new LinkedHashMap<>();
    private final CancelToken admission = CancelToken.create();

    ResidentCopy(DatasetRef ref, long bytes, long now) {
      this.ref = ref;
      this.bytes = bytes;
      this.lastUsed = now;
    }

    public DatasetRef ref() {
      return ref;
    }

    public long bytes() {
      return bytes;
    }

    public CopyState state() {
      return state;
    }

    /** The bus address of the loaded copy ({@link ResidentRun}s go there). */
    public String address() {
      return address;
    }

    public int activeJobs() {
      return activeJobs;
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final MemoryPool pool;
  private final CopyLoader loader;
  private final Duration admissionWait;
  private final long idleMs;
  private final LongSupplier clock;
  private final Map<DatasetRef, ResidentCopy> copies = new HashMap<>();
  private volatile long lastReclaimAsk;

  /**
   * @param clock milliseconds, for idle times (tests pass their own)
   */
  public ResidentPool(Vertx vertx, MemoryPool pool, CopyLoader loader, Duration admissionWait, long idleMs,
      LongSupplier clock) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.pool = pool;
    this.loader = loader;
    this.admissionWait = admissionWait;
    this.idleMs = idleMs;
    this.clock = clock;
  }

  public CopyState state(DatasetRef ref) {
    ResidentCopy copy = copies.get(ref);
    return copy == null ? CopyState.NONE : copy.state;
  }

  /** The ready copy of {@code ref}, or null. */
  public ResidentCopy ready(DatasetRef ref) {
    ResidentCopy copy = copies.get(ref);
    return copy != null && copy.state == CopyState.READY ? copy : null;
  }

  /**
   * Loads a copy of {@code manifest} for next time if its {@code bytes} and {@code headroom} more (a job's
   * label arrays beside it) are free now (no wait, no eviction); the copy then holds {@code bytes}. Completes
   * with false when they are not free, or a copy exists already.
   */
  public Future<Boolean> loadIfFree(Manifest manifest, long bytes, long headroom, ChunkSource source) {
    DatasetRef ref = DatasetRef.of(manifest);
    if (copies.containsKey(ref)) {
      return Future.succeededFuture(false);
    }
    Reservation reservation = pool.newReservation("resident copy of " + ref);
    // All or nothing for the copy and its headroom together, then only the copy is kept.
    return vertx.executeBlocking(() -> reservation.trySetBytes(bytes + headroom) && reservation.trySetBytes(bytes),
        false).map(fits -> {
      if (!fits || copies.containsKey(ref)) {
        reservation.close();
        return false;
      }
      ResidentCopy copy = new ResidentCopy(ref, bytes, clock.getAsLong());
      copy.admitted = true;
      copies.put(ref, copy);
      startLoading(copy, manifest, reservation, source);
      return true;
    }).otherwise(e -> {
      // Only a copy larger than the whole pool fails here; the rule never asks for one.
      reservation.close();
      return false;
    });
  }

  /**
   * A copy of {@code manifest} for {@code waiter}: the one there is (ready, or when loaded), else a new one,
   * admitted within the admission wait after evicting idle copies. Fails with RESOURCE_EXHAUSTED (needed
   * vs free) when it is not admitted in time, with the load's error when it cannot be loaded, and with
   * CANCELLED when the waiter {@link #leave}s.
   */
  public Future<ResidentCopy> load(Manifest manifest, long bytes, ChunkSource source, String waiter) {
    DatasetRef ref = DatasetRef.of(manifest);
    ResidentCopy existing = copies.get(ref);
    if (existing != null) {
      return whenReady(ref, waiter);
    }
    ResidentCopy copy = new ResidentCopy(ref, bytes, clock.getAsLong());
    copies.put(ref, copy);
    Future<ResidentCopy> ready = whenReady(ref, waiter);
    Reservation reservation = pool.newReservation("resident copy of " + ref);
    // Idle copies make room first, only as much as is missing.
    vertx.executeBlocking(pool::freeBytes, false)
        .compose(free -> free >= bytes ? Future.<Void>succeededFuture() : reclaim(bytes - free))
        .compose(v -> vertx.executeBlocking(() -> {
          MemoryAdmission.poll(pool, reservation, bytes, admissionWait, copy.admission,
              () -> askReclaim(bytes - pool.freeBytes()));
          return null;
        }, false)).onComplete(ar -> {
      if (ar.failed() || copy.admission.isCancelled() || copies.get(ref) != copy) {
        reservation.close();
        if (copies.get(ref) == copy) {
          copies.remove(ref);
        }
        failWaiters(copy, ar.failed() ? admissionFailure(ref, ar.cause())
            : new LabelFlightException(LabelFlightException.Kind.CANCELLED, "loading " + ref + " was abandoned"));
        return;
      }
      copy.admitted = true;
      startLoading(copy, manifest, reservation, source);
    });
    return ready;
  }

  private static LabelFlightException admissionFailure(DatasetRef ref, Throwable cause) {
    return cause instanceof LabelFlightException e ? e : LabelFlightException.internal("loading " + ref, cause);
  }

  /** Asks (from a worker, at most every {@value #RECLAIM_ASK_MS} ms) for idle copies of {@code bytes} to be evicted. */
  private void askReclaim(long bytes) {
    long now = System.currentTimeMillis();
    if (bytes > 0 && now - lastReclaimAsk >= RECLAIM_ASK_MS) {
      lastReclaimAsk = now;
      context.runOnContext(v -> reclaim(bytes));
    }
  }

  /** Completes when the copy of {@code ref} that exists (or loads) is ready; fails if there is none or it fails. */
  public Future<ResidentCopy> whenReady(DatasetRef ref, String waiter) {
    ResidentCopy copy = copies.get(ref);
    if (copy == null) {
      return Future.failedFuture(LabelFlightException.notFound("no resident copy of " + ref + " on this node"));
    }
    if (copy.state == CopyState.READY) {
      return Future.succeededFuture(copy);
    }
    Promise<ResidentCopy> promise = Promise.promise();
    Promise<ResidentCopy> before = copy.waiters.put(waiter, promise);
    if (before != null) {
      before.tryFail(new LabelFlightException(LabelFlightException.Kind.CANCELLED, waiter + " waits again"));
    }
    return promise.future();
  }

  /**
   * {@code waiter} no longer waits for the copy of {@code ref} (its job was cancelled); its wait fails with
   * CANCELLED. When nobody waits any more for a copy still being admitted, its admission stops.
   */
  public void leave(DatasetRef ref, String waiter) {
    ResidentCopy copy = copies.get(ref);
    if (copy == null) {
      return;
    }
    Promise<ResidentCopy> promise = copy.waiters.remove(waiter);
    if (promise != null) {
      promise.tryFail(new LabelFlightException(LabelFlightException.Kind.CANCELLED, waiter + " stopped waiting for "
          + ref));
    }
    if (copy.waiters.isEmpty() && !copy.admitted) {
      copy.admission.cancel(CancelToken.Reason.CANCELLED, "nobody waits for the resident copy of " + ref);
    }
  }

  private void startLoading(ResidentCopy copy, Manifest manifest, Reservation reservation, ChunkSource source) {
    try {
      copy.handle = loader.start(manifest, reservation, source);
    } catch (RuntimeException e) {
      reservation.close();
      copies.remove(copy.ref);
      failWaiters(copy, e);
      return;
    }
    copy.handle.loaded().onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("resident {} could not load: {}", copy.ref, ar.cause().toString());
        reservation.close();
        if (copies.get(copy.ref) == copy) {
          copies.remove(copy.ref);
        }
        failWaiters(copy, ar.cause());
        return;
      }
      if (copies.get(copy.ref) != copy) {
        // Dropped or stopped while it loaded: its unload is under way.
        failWaiters(copy, LabelFlightException.notFound("the resident copy of " + copy.ref + " was evicted"));
        return;
      }
      copy.address = ar.result();
      copy.state = CopyState.READY;
      copy.lastUsed = clock.getAsLong();
      List<Promise<ResidentCopy>> ready = new ArrayList<>(copy.waiters.values());
      copy.waiters.clear();
      ready.forEach(p -> p.tryComplete(copy));
    });
  }

  private void failWaiters(ResidentCopy copy, Throwable cause) {
    List<Promise<ResidentCopy>> failed = new ArrayList<>(copy.waiters.values());
    copy.waiters.clear();
    failed.forEach(p -> p.tryFail(cause));
  }

  /** A job starts running on {@code copy} (it is not evicted while any runs). */
  public void use(ResidentCopy copy) {
    copy.activeJobs++;
    copy.lastUsed = clock.getAsLong();
  }

  /** A job on {@code copy} ended. */
  public void done(ResidentCopy copy) {
    copy.activeJobs = Math.max(0, copy.activeJobs - 1);
    copy.lastUsed = clock.getAsLong();
  }

  /** Jobs running on this node's copies now (for the drain). */
  public int activeJobs() {
    return copies.values().stream().mapToInt(c -> c.activeJobs).sum();
  }

  /** Evicts copies idle for {@code resident.idleMs}. */
  public void evictIdle() {
    long now = clock.getAsLong();
    for (ResidentCopy copy : List.copyOf(copies.values())) {
      if (copy.state == CopyState.READY && copy.activeJobs == 0 && now - copy.lastUsed >= idleMs) {
        LOG.info("resident {} idle for {} ms: evicting", copy.ref, now - copy.lastUsed);
        evict(copy);
      }
    }
  }

  /** Evicts idle copies, least recently used first, until their bytes cover {@code bytes} or none is left. */
  public Future<Void> reclaim(long bytes) {
    List<ResidentCopy> idle = copies.values().stream()
        .filter(c -> c.state == CopyState.READY && c.activeJobs == 0)
        .sorted(Comparator.comparingLong(c -> c.lastUsed))
        .toList();
    List<Future<Void>> unloads = new ArrayList<>();
    long freed = 0;
    for (ResidentCopy copy : idle) {
      if (freed >= bytes) {
        break;
      }
      LOG.info("resident {} evicted: work needs {} MiB", copy.ref, MemoryAdmission.mib(bytes));
      unloads.add(evict(copy));
      freed += copy.bytes;
    }
    return Future.join(unloads).mapEmpty();
  }

  private Future<Void> evict(ResidentCopy copy) {
    copies.remove(copy.ref);
    failWaiters(copy, LabelFlightException.notFound("the resident copy of " + copy.ref + " was evicted"));
    if (!copy.admitted) {
      copy.admission.cancel(CancelToken.Reason.CANCELLED, "evicted");
      return Future.succeededFuture();
    }
    return copy.handle == null ? Future.succeededFuture() : copy.handle.unload();
  }

  /** Evicts every copy of the dataset stored as {@code name} (it is dropped); completes when their memory is back. */
  public Future<Void> drop(String name) {
    List<Future<Void>> unloads = new ArrayList<>();
    for (ResidentCopy copy : List.copyOf(copies.values())) {
      if (copy.ref.isVersionOf(name)) {
        unloads.add(evict(copy));
      }
    }
    return Future.join(unloads).mapEmpty();
  }

  /** Evicts everything (the node stops). */
  public Future<Void> stop() {
    List<Future<Void>> unloads = new ArrayList<>();
    for (ResidentCopy copy : List.copyOf(copies.values())) {
      unloads.add(evict(copy));
    }
    return Future.join(unloads).mapEmpty();
  }

  /** Ready copies: their count, bytes and {@code NAME@VERSION} keys (for metrics and the cluster directory). */
  public JsonObject stats() {
    long bytes = 0;
    int loaded = 0;
    JsonArray keys = new JsonArray();
    for (ResidentCopy copy : copies.values()) {
      if (copy.state == CopyState.READY) {
        loaded++;
        bytes += copy.bytes;
        keys.add(copy.ref.toString());
      }
    }
    return new JsonObject().put("residents", loaded).put("residentBytes", bytes).put("residentKeys", keys);
  }
}
