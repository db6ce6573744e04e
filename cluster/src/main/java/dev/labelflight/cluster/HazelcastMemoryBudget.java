package dev.labelflight.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.cp.ISemaphore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.memory.MemoryBudget;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A node's memory budget as a Hazelcast CP {@link ISemaphore} named after the node, so that every
 * member can read every node's free memory. Permits are KiB (an int semaphore then covers 2 TiB).
 * Waiting reservations queue here in arrival order and one thread per budget blocks on the semaphore
 * for the head of the queue, so a small request never overtakes a large one that waits. Owners are
 * accounted locally: only this node reserves from its own semaphore.
 */
public final class HazelcastMemoryBudget implements MemoryBudget, AutoCloseable {
  static final long UNIT = 1024;
  /** Prefix of the semaphore names; the rest is the node id. */
  public static final String PREFIX = "labelflight.budget.";

  private final String name;
  private final ISemaphore semaphore;
  private final int maxPermits;
  private final Map<String, Integer> byOwner = new HashMap<>();
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private final ExecutorService waiting;

  private record Waiter(String owner, int permits, CompletableFuture<Void> future) {}

  private HazelcastMemoryBudget(String name, ISemaphore semaphore, int maxPermits) {
    this.name = name;
    this.semaphore = semaphore;
    this.maxPermits = maxPermits;
    this.waiting = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "budget-waiter " + name);
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Creates the node's semaphore with {@code maxBytes} (rounded down to KiB). Fails with a message
   * that says what to do when the CP semaphore is unavailable (Hazelcast Community 5.5+ has none).
   */
  public static HazelcastMemoryBudget create(HazelcastInstance hz, String nodeId, long maxBytes) {
    long permits = maxBytes / UNIT;
    if (permits <= 0 || permits > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("memory budget must be between 1 KiB and 2 TiB: " + maxBytes + " bytes");
    }
    String name = PREFIX + nodeId;
    ISemaphore semaphore;
    try {
      semaphore = hz.getCPSubsystem().getSemaphore(name);
      if (!semaphore.init((int) permits) && semaphore.availablePermits() != permits) {
        throw new IllegalStateException("semaphore " + name + " already exists with "
            + semaphore.availablePermits() + " permits; is another node running with id " + nodeId + "?");
      }
    } catch (IllegalStateException e) {
      throw e;
    } catch (RuntimeException | LinkageError e) {
      throw new IllegalStateException("the memory budget needs Hazelcast's CP ISemaphore, which this Hazelcast ("
          + com.hazelcast.instance.BuildInfoProvider.getBuildInfo().getVersion()
          + ") does not provide; use the Hazelcast 5.3 line that vertx-hazelcast brings: " + e, e);
    }
    return new HazelcastMemoryBudget(name, semaphore, (int) permits);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long maxBytes() {
    return maxPermits * UNIT;
  }

  @Override
  public long reservedBytes() {
    return maxBytes() - freeBytes();
  }

  /** Counted locally (only this node takes from its semaphore), so it never waits on Hazelcast. */
  @Override
  public synchronized long freeBytes() {
    long held = 0;
    for (int permits : byOwner.values()) {
      held += permits;
    }
    return (maxPermits - held) * UNIT;
  }

  /** Free permits as the semaphore itself says (what other nodes see), in bytes. Calls Hazelcast. */
  public long semaphoreFreeBytes() {
    return semaphore.availablePermits() * UNIT;
  }

  @Override
  public synchronized long reservedBy(String owner) {
    return byOwner.getOrDefault(owner, 0) * UNIT;
  }

  @Override
  public CompletableFuture<Void> reserve(String owner, long bytes) {
    int permits = permits(bytes);
    synchronized (this) {
      if (waiters.isEmpty() && semaphore.tryAcquire(permits)) {
        byOwner.merge(owner, permits, Integer::sum);
        return CompletableFuture.completedFuture(null);
      }
      Waiter waiter = new Waiter(owner, permits, new CompletableFuture<>());
      waiters.add(waiter);
      waiting.execute(this::serveHead);
      return waiter.future();
    }
  }

  @Override
  public boolean tryReserve(String owner, long bytes) {
    int permits = permits(bytes);
    synchronized (this) {
      if (waiters.isEmpty() && semaphore.tryAcquire(permits)) {
        byOwner.merge(owner, permits, Integer::sum);
        return true;
      }
      return false;
    }
  }

  @Override
  public void free(String owner, long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("cannot free a negative amount: " + bytes);
    }
    int permits = (int) ((bytes + UNIT - 1) / UNIT);
    synchronized (this) {
      int held = byOwner.getOrDefault(owner, 0);
      if (permits > held) {
        throw new IllegalArgumentException(owner + " frees " + bytes + " bytes but holds " + held * UNIT + " in " + name);
      }
      if (held == permits) {
        byOwner.remove(owner);
      } else {
        byOwner.put(owner, held - permits);
      }
    }
    if (permits > 0) {
      semaphore.release(permits);
    }
  }

  /** On the waiting thread: blocks until the head waiter's permits are free, then hands them over. */
  private void serveHead() {
    Waiter head;
    synchronized (this) {
      head = waiters.peek();
    }
    if (head == null) {
      return;
    }
    try {
      while (!semaphore.tryAcquire(head.permits(), 100, TimeUnit.MILLISECONDS)) {
        if (head.future().isDone()) {
          synchronized (this) {
            waiters.poll();
          }
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      head.future().completeExceptionally(e);
      synchronized (this) {
        waiters.poll();
      }
      return;
    } catch (RuntimeException e) {
      head.future().completeExceptionally(e);
      synchronized (this) {
        waiters.poll();
      }
      return;
    }
    synchronized (this) {
      waiters.poll();
      byOwner.merge(head.owner(), head.permits(), Integer::sum);
    }
    if (!head.future().complete(null)) {
      // The waiter gave up while being served: hand its permits back.
      free(head.owner(), head.permits() * UNIT);
    }
  }

  private int permits(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("reservation must be positive: " + bytes);
    }
    if (bytes > maxBytes()) {
      throw LabelFlightException.exhausted("needs " + mib(bytes) + " MiB but the memory budget of " + name
          + " is " + mib(maxBytes()) + " MiB");
    }
    return (int) ((bytes + UNIT - 1) / UNIT);
  }

  private static long mib(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  /** Stops the waiting thread; waiters still queued fail. */
  @Override
  public void close() {
    waiting.shutdownNow();
    synchronized (this) {
      for (Waiter w : waiters) {
        w.future().completeExceptionally(new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE, "node is shutting down"));
      }
      waiters.clear();
    }
  }
}
