package dev.labelflight.verticles.node;

import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.memory.MemoryPool;
import dev.labelflight.engine.memory.Reservation;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The two bounded ways verticles take bytes of the node's {@link MemoryPool} into a {@link Reservation}
 * they hold (blocking; worker threads only). Neither waits longer than its bound, both stop at once when
 * the work's {@link CancelToken} is cancelled, and a failed wait leaves the reservation as it was:
 *
 * <ul>
 *   <li>{@link #await}: in the pool's arrival order ({@link Reservation#setBytes}), for chunk tasks and
 *       other short work, whose requests are small next to the budget;
 *   <li>{@link #poll}: tries now and again until the bound, without queueing, for big admissions (a
 *       resident copy, a resident job's label arrays), so that a big request never holds up the small
 *       ones behind it in the queue while it waits.
 * </ul>
 */
public final class MemoryAdmission {
  private static final long CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(25);

  private MemoryAdmission() {}

  /** Sets {@code reservation} to {@code bytes}, waiting in arrival order at most {@code maxWait}. */
  public static void await(Reservation reservation, long bytes, Duration maxWait, CancelToken token) {
    token.throwIfCancelled();
    CompletableFuture<Void> held = reservation.setBytes(bytes, maxWait);
    while (true) {
      try {
        held.get(CHECK_NANOS, TimeUnit.NANOSECONDS);
        return;
      } catch (TimeoutException stillWaiting) {
        if (token.isCancelled()) {
          // Closing ends the wait (its bytes were never taken); the holder is stopping anyway.
          reservation.close();
          token.throwIfCancelled();
        }
      } catch (ExecutionException e) {
        throw e.getCause() instanceof LabelFlightException lf ? lf
            : LabelFlightException.internal("memory reservation of " + reservation.holder() + " failed", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        reservation.close();
        throw new LabelFlightException(LabelFlightException.Kind.CANCELLED, reservation.holder() + " interrupted");
      }
    }
  }

  /**
   * Sets {@code reservation} to {@code bytes} if that fits now, else tries again every few milliseconds
   * until {@code maxWait} has passed; then fails with RESOURCE_EXHAUSTED naming the bytes needed and free.
   * {@code beforeRetry} runs before each new try (to ask for idle memory to be given back, say).
   */
  public static void poll(MemoryPool pool, Reservation reservation, long bytes, Duration maxWait, CancelToken token,
      Runnable beforeRetry) {
    long deadline = System.nanoTime() + maxWait.toNanos();
    long pause = TimeUnit.MILLISECONDS.toNanos(1);
    while (true) {
      token.throwIfCancelled();
      if (reservation.trySetBytes(bytes)) {
        return;
      }
      if (System.nanoTime() - deadline >= 0) {
        throw notAdmitted(pool, reservation.holder(), bytes - reservation.bytes(), maxWait);
      }
      LockSupport.parkNanos(Math.min(pause, Math.max(0, deadline - System.nanoTime())));
      pause = Math.min(pause * 2, CHECK_NANOS);
      beforeRetry.run();
    }
  }

  /** RESOURCE_EXHAUSTED for {@code holder}, which needs {@code need} more bytes than stayed free within the wait. */
  public static LabelFlightException notAdmitted(MemoryPool pool, String holder, long need, Duration maxWait) {
    long free = pool.freeBytes();
    return LabelFlightException.exhausted(holder + " needs " + mib(need) + " MiB of the memory budget, but only "
            + mibFloor(free) + " MiB of " + mibFloor(pool.maxBytes()) + " MiB were free within " + maxWait.toMillis() + " ms")
        .withDetail(LabelFlightException.Detail.REQUESTED, need)
        .withDetail(LabelFlightException.Detail.LIMIT, free)
        .withDetail(LabelFlightException.Detail.UNIT, "bytes");
  }

  /** Whole MiB, rounded up: what is needed (a need of 1 byte reads "1 MiB"). */
  public static long mib(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  /** Whole MiB, rounded down: what is there (free or in total). */
  public static long mibFloor(long bytes) {
    return Math.max(0, bytes) >> 20;
  }

  /**
   * Runs {@code work} with {@code estimate} bytes held in a reservation of the node's pool for {@code holder}
   * (waiting in arrival order at most {@code memory.waitMs}, else RESOURCE_EXHAUSTED) and an allocator capped
   * at them; both are closed when it returns. Short reads under memory (browse and review pages) use it.
   */
  public static <T> T within(NodeResources node, String holder, long estimate,
      java.util.function.Function<org.apache.arrow.memory.BufferAllocator, T> work) {
    try (Reservation reservation = node.memoryPool().newReservation(holder)) {
      await(reservation, estimate, node.execution().memoryWait(), CancelToken.NEVER);
      try (org.apache.arrow.memory.BufferAllocator allocator = node.allocator().newChildAllocator(holder, 0, estimate)) {
        return work.apply(allocator);
      }
    }
  }
}
