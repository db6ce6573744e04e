package dev.labelflight.engine.memory;

/** A {@link MemoryBudget} over a new {@link LocalMemoryPool} (tests of code not yet moved to reservations). */
@Deprecated
public final class LocalMemoryBudget extends PooledMemoryBudget {
  public LocalMemoryBudget(String name, long maxBytes) {
    super(new LocalMemoryPool(name, maxBytes));
  }
}
