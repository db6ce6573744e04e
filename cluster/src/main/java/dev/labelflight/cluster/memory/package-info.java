/**
 * The memory pool of a clustered node, on Hazelcast structures the Community edition keeps (no CP
 * subsystem): the IMap {@code labelflight.memory} holds one {@link dev.labelflight.cluster.memory.PoolEntry}
 * per node (size, home member, every holding by member UUID), changed only by the entry processors of
 * {@link dev.labelflight.cluster.memory.PoolOps}; {@link dev.labelflight.cluster.memory.HazelcastMemoryPool}
 * is the {@link dev.labelflight.engine.memory.MemoryPool} over it (the engine's admission core with an
 * IMap ledger), and drops the holdings of members that leave. Its Hazelcast calls block: workers only.
 */
package dev.labelflight.cluster.memory;
