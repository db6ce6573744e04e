package dev.labelflight.engine.memory;

import java.util.Map;

/**
 * Where a {@link MemoryPool} keeps its account: the pool's size and, per open reservation, the bytes it
 * holds. {@link LedgerMemoryPool} decides who is admitted when (reservations, FIFO waiters, bounded
 * waits); the ledger only checks and records, atomically, so that one admission core serves both the
 * in-process pool ({@link InProcessLedger}) and a pool other processes also reserve from (the cluster
 * module's IMap ledger, whose calls block on the network).
 *
 * <p>Reservations are named by an id unique within the pool object that opened them, and every write
 * is absolute ("reservation 7 now holds N bytes"), so repeating a write is harmless.
 */
public interface MemoryLedger {
  /** The pool's size in bytes; fixed. Never blocks. */
  long maxBytes();

  /** Bytes held by every holder of the pool (other processes' too, as last seen). Never blocks. */
  long reservedBytes();

  /**
   * Sets reservation {@code id} to hold {@code bytes} (more than it holds) if the pool's total then stays
   * within {@link #maxBytes}; atomic check-and-set. Returns false, changing nothing, if it does not fit.
   * May block; throws if the ledger cannot be reached.
   */
  boolean tryGrow(long id, String holder, long bytes);

  /**
   * Sets reservation {@code id} to hold {@code bytes} (at most what it holds); 0 forgets it. Always
   * allowed. May block; throws if the ledger cannot be reached.
   */
  void shrink(long id, String holder, long bytes);

  /** Bytes held per holder description, every holder of the pool included. May block. */
  Map<String, Long> bytesByHolder();

  /** One open reservation as the pool that opened it knows it (for ledgers that must re-record it). */
  record Holding(long id, String holder, long bytes) {}
}
