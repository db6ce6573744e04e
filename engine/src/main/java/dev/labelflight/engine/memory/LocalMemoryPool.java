package dev.labelflight.engine.memory;

/**
 * A {@link MemoryPool} counted in this process (a standalone node, tools, tests). The admission rules
 * are {@link LedgerMemoryPool}'s; the ledger is a map in memory, so nothing blocks and waiters are served
 * on the thread that freed the bytes (or on the pool's timer thread after a wait gave up).
 */
public final class LocalMemoryPool extends LedgerMemoryPool {
  public LocalMemoryPool(String name, long maxBytes) {
    super(name, new InProcessLedger(maxBytes), Runnable::run);
  }
}
