package dev.labelflight.http.transfer;

import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.memory.MemoryPool;
import dev.labelflight.engine.memory.Reservation;
import dev.labelflight.verticles.node.MemoryAdmission;
import java.time.Duration;

/**
 * Bytes held in a reservation of the node's memory pool for one transfer, given back on {@link #close}.
 * Taking them waits at most a deadline in the pool's arrival order (RESOURCE_EXHAUSTED naming the bytes needed
 * and free after it). Blocking: call on a worker.
 */
final class BudgetHold implements AutoCloseable {
  private final Reservation reservation;
  private final long bytes;

  private BudgetHold(Reservation reservation, long bytes) {
    this.reservation = reservation;
    this.bytes = bytes;
  }

  static BudgetHold take(MemoryPool pool, String holder, long bytes, long waitMs) {
    Reservation reservation = pool.newReservation(holder);
    try {
      MemoryAdmission.await(reservation, bytes, Duration.ofMillis(waitMs), CancelToken.NEVER);
      return new BudgetHold(reservation, bytes);
    } catch (RuntimeException e) {
      reservation.close();
      throw e;
    }
  }

  long bytes() {
    return bytes;
  }

  @Override
  public void close() {
    reservation.close();
  }
}
