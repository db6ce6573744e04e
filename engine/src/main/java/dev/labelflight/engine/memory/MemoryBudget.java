package dev.labelflight.engine.memory;

import java.util.concurrent.CompletableFuture;

/**
 * The older budget calls (reserve and free by an owner string), kept only until the verticles move to
 * {@link MemoryPool} and {@link Reservation}; every implementation is a view over a pool
 * ({@link PooledMemoryBudget}), so both kinds of caller share one account. Its waits are unbounded, which
 * is why it goes: new code opens a {@link Reservation} from {@link #pool()}.
 */
@Deprecated
public interface MemoryBudget {
  String name();

  long maxBytes();

  long reservedBytes();

  long freeBytes();

  long reservedBy(String owner);

  /**
   * Reserves {@code bytes} for {@code owner}; the future completes when they are held. Fails at once
   * with RESOURCE_EXHAUSTED if the request can never fit.
   */
  CompletableFuture<Void> reserve(String owner, long bytes);

  /** Reserves only if the bytes are free now and nobody waits ahead. */
  boolean tryReserve(String owner, long bytes);

  /** Gives back bytes an owner holds; more than it holds is a programming error. */
  void free(String owner, long bytes);

  /** The pool this budget is a view of. */
  MemoryPool pool();
}
