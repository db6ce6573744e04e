package dev.labelflight.engine.memory;

import dev.labelflight.engine.error.LabelFlightException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admission core every {@link MemoryPool} shares: reservations, waiters served in arrival order,
 * bounded waits and cancellation, over a {@link MemoryLedger} that checks and records the bytes. A
 * subclass supplies the ledger ({@link LocalMemoryPool}: in-process; the cluster module's pool: an IMap
 * other members reserve from too) and says where waiters are served after an event that did not come
 * from a caller (a wait that timed out, bytes freed elsewhere): {@code serving}.
 *
 * <p>Rules kept here: growth is all-or-nothing; a growth that does not fit now either fails
 * ({@link Reservation#trySetBytes}) or waits behind earlier waiters ({@link Reservation#setBytes}) at most
 * its bound; nobody overtakes a waiter of this pool object; shrinking and closing always succeed and
 * serve the waiters; a closed reservation holds nothing and cannot grow. Ledger calls run under this
 * pool's lock (so admission order is the lock's order); futures complete outside it, on the thread that
 * freed the bytes or on {@code serving}, so callbacks may reserve or free again.
 *
 * <p>Blocking: {@code trySetBytes}, {@code setBytes} (when it admits at once), shrinking, {@code close}
 * and {@link #reservationsByHolder} call the ledger and block as long as it does; {@code name},
 * {@code maxBytes}, {@code reservedBytes}, {@code freeBytes} and {@link Reservation#bytes} never block.
 *
 * <p>One class of a little over 400 lines, with its reservation inside: the queue, the reservations and
 * the ledger calls share one lock, which would otherwise have to be handed between classes.
 */
public class LedgerMemoryPool implements MemoryPool {
  private static final Logger LOG = LoggerFactory.getLogger(LedgerMemoryPool.class);
  /** Ends bounded waits; its tasks only hand the expiry to the pool's {@code serving} executor. */
  private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "memory-pool-timer");
    t.setDaemon(true);
    return t;
  });

  private final String name;
  private final MemoryLedger ledger;
  private final Executor serving;
  private final Object lock = new Object();
  /** Guarded by {@link #lock}. */
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private final Map<Long, PoolReservation> open = new LinkedHashMap<>();
  private long nextId = 1;
  private LabelFlightException shutDown;

  /**
   * @param serving where waiters are served after a timeout or {@link #ledgerChanged}; may be
   *     {@code Runnable::run} when the ledger never blocks
   */
  protected LedgerMemoryPool(String name, MemoryLedger ledger, Executor serving) {
    this.name = name;
    this.ledger = ledger;
    this.serving = serving;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long maxBytes() {
    return ledger.maxBytes();
  }

  @Override
  public long reservedBytes() {
    return ledger.reservedBytes();
  }

  @Override
  public Reservation newReservation(String holder) {
    synchronized (lock) {
      PoolReservation r = new PoolReservation(nextId++, holder);
      open.put(r.id, r);
      return r;
    }
  }

  /** Every holder of the pool, other processes' included when the ledger is shared. May block. */
  @Override
  public Map<String, Long> reservationsByHolder() {
    return ledger.bytesByHolder();
  }

  /** Waiters queued now (for tests and diagnostics). */
  public int waiting() {
    synchronized (lock) {
      return waiters.size();
    }
  }

  /**
   * Tells the pool that bytes may have been freed outside it (another process's reservation shrank, a
   * dead holder's bytes were dropped): waiters are tried again on {@code serving}. Cheap when none waits.
   */
  protected final void ledgerChanged() {
    synchronized (lock) {
      if (waiters.isEmpty()) {
        return;
      }
    }
    try {
      serving.execute(this::serveWaiters);
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // The pool was shut down: its waiters have failed already.
    }
  }

  /**
   * Runs {@code action} with this pool's open reservations that hold bytes, under the pool's lock, so
   * that no reservation changes meanwhile (for a ledger that must record them again, e.g. after it lost
   * them).
   */
  protected final void withHoldings(Consumer<List<MemoryLedger.Holding>> action) {
    synchronized (lock) {
      List<MemoryLedger.Holding> holdings = new ArrayList<>();
      for (PoolReservation r : open.values()) {
        if (r.held > 0) {
          holdings.add(new MemoryLedger.Holding(r.id, r.holder, r.held));
        }
      }
      action.accept(holdings);
    }
  }

  /**
   * Fails every waiter with {@code reason} and every later growth too (the pool's process is shutting
   * down); shrinking and closing still work.
   */
  protected final void shutDown(LabelFlightException reason) {
    List<Waiter> failed;
    synchronized (lock) {
      shutDown = reason;
      failed = new ArrayList<>(waiters);
      waiters.clear();
      failed.forEach(w -> w.reservation.waiting = null);
    }
    failed.forEach(w -> w.fail(reason));
  }

  private void serveWaiters() {
    List<Runnable> done;
    synchronized (lock) {
      done = serveLocked();
    }
    done.forEach(Runnable::run);
  }

  /** Admits waiters from the head while their growth fits; returns their completions (run outside the lock). */
  private List<Runnable> serveLocked() {
    List<Runnable> done = new ArrayList<>();
    while (!waiters.isEmpty()) {
      Waiter w = waiters.peek();
      boolean granted;
      try {
        granted = ledger.tryGrow(w.reservation.id, w.reservation.holder, w.target);
      } catch (RuntimeException e) {
        waiters.poll();
        w.reservation.waiting = null;
        LabelFlightException error = unreachable(e);
        done.add(() -> w.fail(error));
        continue;
      }
      if (!granted) {
        break;
      }
      waiters.poll();
      w.reservation.held = w.target;
      w.reservation.waiting = null;
      done.add(w::succeed);
    }
    return done;
  }

  private void checkPossible(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("reservation cannot be negative: " + bytes);
    }
    long max = ledger.maxBytes();
    if (bytes > max) {
      throw LabelFlightException.exhausted("needs " + mib(bytes) + " MiB but the memory budget of " + name
          + " is " + mib(max) + " MiB")
          .withDetail(LabelFlightException.Detail.REQUESTED, bytes)
          .withDetail(LabelFlightException.Detail.LIMIT, max)
          .withDetail(LabelFlightException.Detail.UNIT, "bytes");
    }
  }

  /** Under the lock: a fresh exception for each caller, like the reason given to {@link #shutDown}. */
  private LabelFlightException shutDownError() {
    return new LabelFlightException(shutDown.kind(), shutDown.getMessage());
  }

  private LabelFlightException unreachable(RuntimeException e) {
    return e instanceof LabelFlightException l ? l
        : new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE,
            "the memory budget of " + name + " cannot be reached: " + e.getMessage());
  }

  private static long mib(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  private static final class Waiter {
    final PoolReservation reservation;
    final long target;
    final CompletableFuture<Void> future = new CompletableFuture<>();
    ScheduledFuture<?> timeout;

    Waiter(PoolReservation reservation, long target) {
      this.reservation = reservation;
      this.target = target;
    }

    void succeed() {
      if (timeout != null) {
        timeout.cancel(false);
      }
      future.complete(null);
    }

    void fail(Throwable error) {
      if (timeout != null) {
        timeout.cancel(false);
      }
      future.completeExceptionally(error);
    }
  }

  private final class PoolReservation implements Reservation {
    final long id;
    final String holder;
    /** Written under the pool's lock; volatile so that {@link #bytes} never waits for a ledger call. */
    volatile long held;
    volatile boolean closed;
    Waiter waiting;

    PoolReservation(long id, String holder) {
      this.id = id;
      this.holder = holder;
    }

    @Override
    public String holder() {
      return holder;
    }

    @Override
    public long bytes() {
      return held;
    }

    @Override
    public boolean isClosed() {
      return closed;
    }

    @Override
    public boolean trySetBytes(long bytes) {
      checkPossible(bytes);
      List<Runnable> done = List.of();
      synchronized (lock) {
        if (closed) {
          throw closedError();
        }
        if (waiting != null) {
          throw new IllegalStateException(holder + ": a resize is already waiting");
        }
        if (bytes < held) {
          done = shrinkLocked(bytes);
        } else if (bytes > held) {
          if (shutDown != null) {
            throw shutDownError();
          }
          if (!waiters.isEmpty()) {
            return false;
          }
          try {
            if (!ledger.tryGrow(id, holder, bytes)) {
              return false;
            }
          } catch (RuntimeException e) {
            throw unreachable(e);
          }
          held = bytes;
        }
      }
      done.forEach(Runnable::run);
      return true;
    }

    @Override
    public CompletableFuture<Void> setBytes(long bytes, Duration maxWait) {
      try {
        checkPossible(bytes);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
      List<Runnable> done = List.of();
      Waiter w;
      synchronized (lock) {
        if (closed) {
          return CompletableFuture.failedFuture(closedError());
        }
        if (waiting != null) {
          return CompletableFuture.failedFuture(new IllegalStateException(holder + ": a resize is already waiting"));
        }
        if (bytes <= held) {
          done = shrinkLocked(bytes);
          w = null;
        } else {
          if (shutDown != null) {
            return CompletableFuture.failedFuture(shutDownError());
          }
          try {
            if (waiters.isEmpty() && ledger.tryGrow(id, holder, bytes)) {
              held = bytes;
              return CompletableFuture.completedFuture(null);
            }
          } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(unreachable(e));
          }
          w = new Waiter(this, bytes);
          waiting = w;
          waiters.add(w);
          // Expired on the pool's own executor: a pool whose lock waits for a slow ledger call never stalls
          // the timer that every pool shares.
          w.timeout = TIMER.schedule(() -> serving.execute(() -> expire(w)), Math.max(0, maxWait.toNanos()),
              TimeUnit.NANOSECONDS);
        }
      }
      if (w == null) {
        done.forEach(Runnable::run);
        return CompletableFuture.completedFuture(null);
      }
      return w.future;
    }

    /** Under the lock: gives bytes back (the ledger's word is not needed to shrink) and serves waiters. */
    private List<Runnable> shrinkLocked(long bytes) {
      if (bytes == held) {
        return List.of();
      }
      try {
        ledger.shrink(id, holder, bytes);
      } catch (RuntimeException e) {
        // Counted as given back here; a shared ledger drops this process's holdings when it leaves.
        LOG.warn("memory pool {}: {} gave back {} bytes but the ledger did not hear it: {}", name, holder,
            held - bytes, e.toString());
      }
      held = bytes;
      return serveLocked();
    }

    /** On {@code serving}: the wait passed its bound. */
    private void expire(Waiter w) {
      LabelFlightException error;
      synchronized (lock) {
        if (waiting != w) {
          return; // served, failed or closed meanwhile
        }
        waiters.remove(w);
        waiting = null;
        long max = ledger.maxBytes();
        long free = Math.max(0, max - ledger.reservedBytes());
        long need = w.target - held;
        error = LabelFlightException.exhausted("needs " + mib(need) + " MiB more of the memory budget of " + name
            + " but only " + mib(free) + " MiB of " + mib(max) + " MiB stayed free within the wait")
            .withDetail(LabelFlightException.Detail.REQUESTED, need)
            .withDetail(LabelFlightException.Detail.LIMIT, free)
            .withDetail(LabelFlightException.Detail.UNIT, "bytes");
      }
      w.future.completeExceptionally(error);
      // The head gave up: those behind it may fit now.
      ledgerChanged();
    }

    @Override
    public void close() {
      List<Runnable> done;
      Waiter abandoned;
      synchronized (lock) {
        if (closed) {
          return;
        }
        closed = true;
        abandoned = waiting;
        if (abandoned != null) {
          waiters.remove(abandoned);
          waiting = null;
        }
        boolean freed = held > 0;
        done = shrinkLocked(0); // serves the waiters when bytes came back
        open.remove(id);
        if (!freed && abandoned != null) {
          // A waiter left the queue: those behind it may fit now.
          done = serveLocked();
        }
      }
      if (abandoned != null) {
        abandoned.fail(closedError());
      }
      done.forEach(Runnable::run);
    }

    private LabelFlightException closedError() {
      return new LabelFlightException(LabelFlightException.Kind.CANCELLED,
          "memory reservation of " + holder + " was closed");
    }

    @Override
    public String toString() {
      return "Reservation[" + holder + ", " + held + " bytes]";
    }
  }
}
