package dev.labelflight.engine.memory;

import java.util.Map;

/**
 * A node's memory budget in bytes, shaped after Trino's {@code MemoryPool}: code never takes or frees
 * bytes directly, it opens a {@link Reservation} ({@link #newReservation}) and sizes it; the reservation's
 * holder closes it, which gives everything back. Work that grows with data (a chunk being labelled, a
 * resident copy, a label-model fit, a Python worker) holds a reservation for its estimate before it
 * allocates.
 *
 * <p>Admission is all-or-nothing (a reservation grows by its whole delta or not at all) and never an
 * unbounded wait: {@link Reservation#setBytes} takes a maximum wait and fails with RESOURCE_EXHAUSTED,
 * naming the bytes needed and free, when it passes. Waiters are served in arrival order, so a small
 * request never overtakes a large one that waits.
 */
public interface MemoryPool {
  /** A name for messages and metrics (the node id for a node's pool). */
  String name();

  /** The pool's size in bytes. */
  long maxBytes();

  /** Bytes held by open reservations. */
  long reservedBytes();

  /** {@code maxBytes() - reservedBytes()}. */
  default long freeBytes() {
    return maxBytes() - reservedBytes();
  }

  /** A new reservation of 0 bytes held by {@code holder} (a description such as {@code "job J chunk 3"}). */
  Reservation newReservation(String holder);

  /** Bytes held per holder description, for diagnostics (health details, tests); a copy. */
  Map<String, Long> reservationsByHolder();
}
