package dev.labelflight.engine.memory;

import dev.labelflight.engine.error.LabelFlightException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link MemoryPool} counted in this process. Waiters queue in arrival order; a wait that passes its
 * bound fails alone (the waiters behind it may then be served). Completions run outside the lock, on the
 * thread that freed the bytes or on the pool's timer thread, so callbacks may reserve or free again.
 */
public final class LocalMemoryPool implements MemoryPool {
  private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "memory-pool-timer");
    t.setDaemon(true);
    return t;
  });

  private final String name;
  private final long maxBytes;
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private final Map<LocalReservation, Boolean> open = new LinkedHashMap<>();
  private long reserved;

  public LocalMemoryPool(String name, long maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("memory pool must be positive: " + maxBytes);
    }
    this.name = name;
    this.maxBytes = maxBytes;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long maxBytes() {
    return maxBytes;
  }

  @Override
  public synchronized long reservedBytes() {
    return reserved;
  }

  @Override
  public Reservation newReservation(String holder) {
    LocalReservation r = new LocalReservation(holder);
    synchronized (this) {
      open.put(r, Boolean.TRUE);
    }
    return r;
  }

  @Override
  public synchronized Map<String, Long> reservationsByHolder() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (LocalReservation r : open.keySet()) {
      if (r.held > 0) {
        out.merge(r.holder, r.held, Long::sum);
      }
    }
    return out;
  }

  private void checkPossible(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("reservation cannot be negative: " + bytes);
    }
    if (bytes > maxBytes) {
      throw LabelFlightException.exhausted("needs " + mib(bytes) + " MiB but the memory budget of " + name
          + " is " + mib(maxBytes) + " MiB")
          .withDetail(LabelFlightException.Detail.REQUESTED, bytes)
          .withDetail(LabelFlightException.Detail.LIMIT, maxBytes)
          .withDetail(LabelFlightException.Detail.UNIT, "bytes");
    }
  }

  /** Serves waiters from the head while their growth fits; returns those to complete (outside the lock). */
  private ArrayDeque<Waiter> serveLocked() {
    ArrayDeque<Waiter> ready = new ArrayDeque<>();
    Iterator<Waiter> it = waiters.iterator();
    while (it.hasNext()) {
      Waiter w = it.next();
      long growth = w.target - w.reservation.held;
      if (reserved + growth > maxBytes) {
        break;
      }
      it.remove();
      reserved += growth;
      w.reservation.held = w.target;
      w.reservation.waiting = null;
      ready.add(w);
    }
    return ready;
  }

  private static void complete(ArrayDeque<Waiter> ready) {
    for (Waiter w : ready) {
      if (w.timeout != null) {
        w.timeout.cancel(false);
      }
      w.future.complete(null);
    }
  }

  private static long mib(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  private static final class Waiter {
    final LocalReservation reservation;
    final long target;
    final CompletableFuture<Void> future = new CompletableFuture<>();
    ScheduledFuture<?> timeout;

    Waiter(LocalReservation reservation, long target) {
      this.reservation = reservation;
      this.target = target;
    }
  }

  private final class LocalReservation implements Reservation {
    private final String holder;
    /** Guarded by the pool's lock. */
    long held;
    Waiter waiting;
    boolean closed;

    LocalReservation(String holder) {
      this.holder = holder;
    }

    @Override
    public String holder() {
      return holder;
    }

    @Override
    public long bytes() {
      synchronized (LocalMemoryPool.this) {
        return held;
      }
    }

    @Override
    public boolean isClosed() {
      synchronized (LocalMemoryPool.this) {
        return closed;
      }
    }

    @Override
    public boolean trySetBytes(long bytes) {
      checkPossible(bytes);
      ArrayDeque<Waiter> ready;
      synchronized (LocalMemoryPool.this) {
        checkOpen();
        if (waiting != null) {
          throw new IllegalStateException(holder + ": a resize is already waiting");
        }
        long growth = bytes - held;
        if (growth > 0 && (!waiters.isEmpty() || reserved + growth > maxBytes)) {
          return false;
        }
        reserved += growth;
        held = bytes;
        ready = growth < 0 ? serveLocked() : new ArrayDeque<>();
      }
      complete(ready);
      return true;
    }

    @Override
    public CompletableFuture<Void> setBytes(long bytes, Duration maxWait) {
      try {
        checkPossible(bytes);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
      Waiter w;
      synchronized (LocalMemoryPool.this) {
        if (closed) {
          return CompletableFuture.failedFuture(closedError());
        }
        if (waiting != null) {
          return CompletableFuture.failedFuture(new IllegalStateException(holder + ": a resize is already waiting"));
        }
        long growth = bytes - held;
        if (growth <= 0 || (waiters.isEmpty() && reserved + growth <= maxBytes)) {
          reserved += growth;
          held = bytes;
          ArrayDeque<Waiter> ready = growth < 0 ? serveLocked() : new ArrayDeque<>();
          complete(ready);
          return CompletableFuture.completedFuture(null);
        }
        w = new Waiter(this, bytes);
        waiting = w;
        waiters.add(w);
        long nanos = Math.max(0, maxWait.toNanos());
        w.timeout = TIMER.schedule(() -> expire(w), nanos, TimeUnit.NANOSECONDS);
      }
      return w.future;
    }

    private void expire(Waiter w) {
      ArrayDeque<Waiter> ready;
      LabelFlightException error;
      synchronized (LocalMemoryPool.this) {
        if (!waiters.remove(w)) {
          return;
        }
        waiting = null;
        long need = w.target - held;
        error = LabelFlightException.exhausted("needs " + mib(need) + " MiB more of the memory budget of " + name
            + " but only " + mib(maxBytes - reserved) + " MiB of " + mib(maxBytes) + " MiB stayed free within the wait")
            .withDetail(LabelFlightException.Detail.REQUESTED, need)
            .withDetail(LabelFlightException.Detail.LIMIT, maxBytes - reserved)
            .withDetail(LabelFlightException.Detail.UNIT, "bytes");
        // The head gave up: those behind it may fit now.
        ready = serveLocked();
      }
      w.future.completeExceptionally(error);
      complete(ready);
    }

    @Override
    public void close() {
      ArrayDeque<Waiter> ready;
      Waiter abandoned;
      synchronized (LocalMemoryPool.this) {
        if (closed) {
          return;
        }
        closed = true;
        abandoned = waiting;
        if (abandoned != null) {
          waiters.remove(abandoned);
          waiting = null;
        }
        reserved -= held;
        held = 0;
        open.remove(this);
        ready = serveLocked();
      }
      if (abandoned != null) {
        if (abandoned.timeout != null) {
          abandoned.timeout.cancel(false);
        }
        abandoned.future.completeExceptionally(closedError());
      }
      complete(ready);
    }

    private void checkOpen() {
      if (closed) {
        throw closedError();
      }
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
