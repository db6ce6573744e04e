package dev.labelflight.engine.memory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The old {@link MemoryBudget} calls served by {@link Reservation}s of a {@link MemoryPool}: each
 * {@code reserve} opens a reservation held under the owner's name, {@code free} shrinks or closes the
 * owner's newest ones. Goes away with {@code MemoryBudget} once no caller is left.
 */
@Deprecated
public class PooledMemoryBudget implements MemoryBudget {
  /** The old budget waited without a bound; a year stands for that until its callers move to reservations. */
  private static final Duration UNBOUNDED = Duration.ofDays(365);

  private final MemoryPool pool;
  private final Map<String, Deque<Reservation>> byOwner = new HashMap<>();

  public PooledMemoryBudget(MemoryPool pool) {
    this.pool = pool;
  }

  @Override
  public MemoryPool pool() {
    return pool;
  }

  @Override
  public String name() {
    return pool.name();
  }

  @Override
  public long maxBytes() {
    return pool.maxBytes();
  }

  @Override
  public long reservedBytes() {
    return pool.reservedBytes();
  }

  @Override
  public long freeBytes() {
    return pool.freeBytes();
  }

  @Override
  public synchronized long reservedBy(String owner) {
    long total = 0;
    for (Reservation r : byOwner.getOrDefault(owner, new ArrayDeque<>())) {
      total += r.bytes();
    }
    return total;
  }

  @Override
  public CompletableFuture<Void> reserve(String owner, long bytes) {
    checkPositive(bytes);
    Reservation r = pool.newReservation(owner);
    CompletableFuture<Void> wait = r.setBytes(bytes, UNBOUNDED);
    if (wait.isCompletedExceptionally()) {
      // Thrown at once (RESOURCE_EXHAUSTED when the request can never fit), as the old budget did.
      r.close();
      try {
        wait.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException re ? re : e;
      }
    }
    CompletableFuture<Void> result = new CompletableFuture<>();
    wait.whenComplete((v, e) -> {
      if (e != null) {
        r.close();
        result.completeExceptionally(e);
        return;
      }
      keep(owner, r);
      if (!result.complete(null)) {
        forget(owner, r); // the caller gave up (cancelled) while being served
        r.close();
      }
    });
    result.whenComplete((v, e) -> {
      if (result.isCancelled()) {
        forget(owner, r); // closing ends a pending wait
        r.close();
      }
    });
    return result;
  }

  @Override
  public boolean tryReserve(String owner, long bytes) {
    checkPositive(bytes);
    Reservation r = pool.newReservation(owner);
    try {
      if (r.trySetBytes(bytes)) {
        keep(owner, r);
        return true;
      }
    } catch (RuntimeException e) {
      r.close();
      throw e;
    }
    r.close();
    return false;
  }

  @Override
  public void free(String owner, long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("cannot free a negative amount: " + bytes);
    }
    synchronized (this) {
      long held = reservedBy(owner);
      if (bytes > held) {
        throw new IllegalArgumentException(owner + " frees " + bytes + " bytes but holds " + held + " in " + name());
      }
      Deque<Reservation> rs = byOwner.get(owner);
      long left = bytes;
      for (Iterator<Reservation> it = rs == null ? null : rs.descendingIterator(); left > 0 && it != null && it.hasNext(); ) {
        Reservation r = it.next();
        long take = Math.min(left, r.bytes());
        if (take == r.bytes()) {
          it.remove();
          r.close();
        } else {
          r.trySetBytes(r.bytes() - take);
        }
        left -= take;
      }
      if (rs != null && rs.isEmpty()) {
        byOwner.remove(owner);
      }
    }
  }

  private synchronized void keep(String owner, Reservation r) {
    byOwner.computeIfAbsent(owner, o -> new ArrayDeque<>()).add(r);
  }

  private synchronized void forget(String owner, Reservation r) {
    Deque<Reservation> rs = byOwner.get(owner);
    if (rs != null && rs.remove(r) && rs.isEmpty()) {
      byOwner.remove(owner);
    }
  }

  private static void checkPositive(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("reservation must be positive: " + bytes);
    }
  }
}
