package dev.labelflight.engine.memory;

import java.util.concurrent.CompletableFuture;

/**
 * A node's memory budget in bytes, after Trino's {@code MemoryPool}: work that grows with data reserves
 * its estimate first and frees it after. {@link #reserve} returns a future that completes once the
 * bytes are held (waiters are served in order); {@link #tryReserve} never waits. Reservations are
 * tagged by owner, and {@link #free} refuses to free more than an owner holds.
 */
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
}
