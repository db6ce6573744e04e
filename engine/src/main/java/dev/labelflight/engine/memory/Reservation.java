package dev.labelflight.engine.memory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Bytes of a {@link MemoryPool} held by one holder, shaped after Trino's {@code LocalMemoryContext}: owned,
 * sized, resized and closed by its holder. Closing gives every byte back and is idempotent; a closed
 * reservation cannot be resized, so it cannot leak permits. Not meant to be shared between holders.
 */
public interface Reservation extends AutoCloseable {
  /** Who holds it (the description given to {@link MemoryPool#newReservation}); "holder", never "owner", which names users. */
  String holder();

  /** Bytes held now. */
  long bytes();

  /**
   * Sets the held bytes to {@code bytes} if the growth fits now and nobody waits ahead; shrinking always
   * succeeds. All or nothing: returns false and holds what it held before when the growth does not fit.
   * Throws RESOURCE_EXHAUSTED if {@code bytes} can never fit (more than the pool's size), UNAVAILABLE if
   * the pool's ledger cannot be reached (a cluster pool whose member is shutting down).
   */
  boolean trySetBytes(long bytes);

  /**
   * Sets the held bytes to {@code bytes}, waiting at most {@code maxWait} for the growth to fit (in
   * arrival order with other waiters). The future completes once the bytes are held; it fails with
   * RESOURCE_EXHAUSTED ("needs N MiB, M MiB free of T MiB") when the wait passes or the request can never
   * fit, with CANCELLED when the reservation is closed while it waits, and with UNAVAILABLE when the
   * pool's ledger cannot be reached. A failed wait holds what it held before. Shrinking completes at once.
   * At most one wait per reservation at a time.
   */
  CompletableFuture<Void> setBytes(long bytes, Duration maxWait);

  /** Gives every byte back (and ends a pending wait with CANCELLED). Idempotent; never throws. */
  @Override
  void close();

  /** Whether {@link #close} was called. */
  boolean isClosed();
}
