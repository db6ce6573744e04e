package dev.labelflight.pyworkers;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.memory.MemoryBudget;
import dev.labelflight.engine.memory.MemoryPool;
import dev.labelflight.engine.memory.Reservation;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The pool's reservations on a node's older {@link MemoryBudget}, until the node hands out its
 * {@link MemoryPool} ({@code ClusterNode.memoryPool()}, budget lane): each reservation is an owner of the budget.
 * Only what the worker pool uses: {@link Reservation#trySetBytes} and {@link Reservation#close}.
 */
public final class BudgetMemoryPool implements MemoryPool {
  private final MemoryBudget budget;

  public BudgetMemoryPool(MemoryBudget budget) {
    this.budget = budget;
  }

  @Override
  public String name() {
    return budget.name();
  }

  @Override
  public long maxBytes() {
    return budget.maxBytes();
  }

  @Override
  public long reservedBytes() {
    return budget.reservedBytes();
  }

  @Override
  public Reservation newReservation(String holder) {
    return new BudgetReservation(holder, holder + " " + UUID.randomUUID());
  }

  @Override
  public Map<String, Long> reservationsByHolder() {
    return Map.of();
  }

  private final class BudgetReservation implements Reservation {
    private final String holder;
    private final String owner;
    private long bytes;
    private boolean closed;

    BudgetReservation(String holder, String owner) {
      this.holder = holder;
      this.owner = owner;
    }

    @Override
    public String holder() {
      return holder;
    }

    @Override
    public synchronized long bytes() {
      return bytes;
    }

    @Override
    public synchronized boolean trySetBytes(long target) {
      if (closed) {
        throw new IllegalStateException("reservation of " + holder + " is closed");
      }
      if (target > budget.maxBytes()) {
        throw LabelFlightException.exhausted(holder + " needs " + (target >> 20) + " MiB, more than the budget of "
            + (budget.maxBytes() >> 20) + " MiB");
      }
      if (target <= bytes) {
        if (target < bytes) {
          budget.free(owner, bytes - target);
        }
        bytes = target;
        return true;
      }
      if (!budget.tryReserve(owner, target - bytes)) {
        return false;
      }
      bytes = target;
      return true;
    }

    @Override
    public CompletableFuture<Void> setBytes(long target, Duration maxWait) {
      return trySetBytes(target) ? CompletableFuture.completedFuture(null)
          : CompletableFuture.failedFuture(LabelFlightException.exhausted(holder + " needs " + (target >> 20)
              + " MiB; " + (budget.freeBytes() >> 20) + " MiB free"));
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        if (bytes > 0) {
          budget.free(owner, bytes);
        }
        bytes = 0;
      }
    }

    @Override
    public synchronized boolean isClosed() {
      return closed;
    }
  }
}
