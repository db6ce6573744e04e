/**
 * The memory budget: a {@link dev.labelflight.engine.memory.MemoryPool} per node, reachable only through
 * {@link dev.labelflight.engine.memory.Reservation}s that their holders size and close (Trino's
 * {@code MemoryPool} / {@code LocalMemoryContext} shape). {@link dev.labelflight.engine.memory.LocalMemoryPool}
 * counts in-process; the cluster module keeps a node's pool visible cluster-wide. The older
 * {@code MemoryBudget} interface is being replaced by these and goes away once no caller is left.
 */
package dev.labelflight.engine.memory;
