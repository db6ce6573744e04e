/**
 * The memory budget: a {@link dev.labelflight.engine.memory.MemoryPool} per node, reachable only through
 * {@link dev.labelflight.engine.memory.Reservation}s that their holders size and close (Trino's
 * {@code MemoryPool} / {@code LocalMemoryContext} shape). {@link dev.labelflight.engine.memory.LedgerMemoryPool}
 * is the admission core every pool shares (all-or-nothing growth, FIFO waiters with bounded waits, CANCELLED
 * on close) over a {@link dev.labelflight.engine.memory.MemoryLedger} that checks and records the bytes;
 * {@link dev.labelflight.engine.memory.LocalMemoryPool} counts in-process, the cluster module's pool keeps
 * a node's account in Hazelcast so every node sees it. What each kind of data takes is estimated in
 * {@code footprint}.
 */
package dev.labelflight.engine.memory;
