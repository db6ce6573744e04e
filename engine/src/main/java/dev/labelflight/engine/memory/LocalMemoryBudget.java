package dev.labelflight.engine.memory;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A {@link MemoryBudget} held in this process only (tests, tools); the server uses the Hazelcast one. */
public final class LocalMemoryBudget implements MemoryBudget {
  private final String name;
  private final long maxBytes;
  private final Map<String, Long> byOwner = new HashMap<>();
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private long reserved;

  private record Waiter(String owner, long bytes, CompletableFuture<Void> future) {}

  public LocalMemoryBudget(String name, long maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("budget must be positive: " + maxBytes);
    }
    this.name = name;
    this.maxBytes = maxBytes;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long maxBytes() {
    return maxBytes;
  }

  @Override
  public synchronized long reservedBytes() {
    return reserved;
  }

  @Override
  public synchronized long freeBytes() {
    return maxBytes - reserved;
  }

  @Override
  public synchronized long reservedBy(String owner) {
    return byOwner.getOrDefault(owner, 0L);
  }

  /**
   * Reserves {@code bytes} for {@code owner}; the future completes when they are held. Fails at once
   * with RESOURCE_EXHAUSTED if the request can never fit.
   */
  @Override
  public CompletableFuture<Void> reserve(String owner, long bytes) {
    checkRequest(bytes);
    synchronized (this) {
      if (waiters.isEmpty() && reserved + bytes <= maxBytes) {
        take(owner, bytes);
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> future = new CompletableFuture<>();
      waiters.add(new Waiter(owner, bytes, future));
      return future;
    }
  }

  /** Reserves only if the bytes are free now and nobody waits ahead. */
  @Override
  public synchronized boolean tryReserve(String owner, long bytes) {
    checkRequest(bytes);
    if (waiters.isEmpty() && reserved + bytes <= maxBytes) {
      take(owner, bytes);
      return true;
    }
    return false;
  }

  /** Gives back bytes an owner holds; more than it holds is a programming error. */
  @Override
  public void free(String owner, long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("cannot free a negative amount: " + bytes);
    }
    java.util.List<Waiter> ready = new java.util.ArrayList<>();
    synchronized (this) {
      long held = byOwner.getOrDefault(owner, 0L);
      if (bytes > held) {
        throw new IllegalArgumentException(owner + " frees " + bytes + " bytes but holds " + held + " in " + name);
      }
      if (held == bytes) {
        byOwner.remove(owner);
      } else {
        byOwner.put(owner, held - bytes);
      }
      reserved -= bytes;
      while (!waiters.isEmpty()) {
        Waiter next = waiters.peek();
        if (next.future().isDone()) {
          waiters.poll();
          continue;
        }
        if (reserved + next.bytes() > maxBytes) {
          break;
        }
        waiters.poll();
        take(next.owner(), next.bytes());
        ready.add(next);
      }
    }
    // Completed outside the lock: callbacks may reserve or free again.
    for (Waiter w : ready) {
      if (!w.future().complete(null)) {
        // The waiter gave up (cancelled) while being served: hand its bytes back.
        free(w.owner(), w.bytes());
      }
    }
  }

  private void checkRequest(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("reservation must be positive: " + bytes);
    }
    if (bytes > maxBytes) {
      throw LabelFlightException.exhausted("needs " + mib(bytes) + " MiB but the memory budget of " + name
          + " is " + mib(maxBytes) + " MiB");
    }
  }

  private void take(String owner, long bytes) {
    reserved += bytes;
    byOwner.merge(owner, bytes, Long::sum);
  }

  private static long mib(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }
}
