package dev.labelflight.http.transfer;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.memory.MemoryBudget;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Bytes held from the node's memory budget for one transfer, given back on {@link #close}. Taking them waits
 * at most a deadline (RESOURCE_EXHAUSTED naming the bytes after it); a grant that comes after the deadline
 * is handed back at once. Blocking: call on a worker.
 */
final class BudgetHold implements AutoCloseable {
  private final MemoryBudget budget;
  private final String holder;
  private final long bytes;

  private BudgetHold(MemoryBudget budget, String holder, long bytes) {
    this.budget = budget;
    this.holder = holder;
    this.bytes = bytes;
  }

  static BudgetHold take(MemoryBudget budget, String holder, long bytes, long waitMs) {
    CompletableFuture<Void> grant = budget.reserve(holder, bytes);
    try {
      grant.get(waitMs, TimeUnit.MILLISECONDS);
      return new BudgetHold(budget, holder, bytes);
    } catch (TimeoutException e) {
      grant.whenComplete((v, error) -> {
        if (error == null) {
          budget.free(holder, bytes);
        }
      });
      throw LabelFlightException.exhausted(holder + " needs " + (bytes >> 20) + " MiB of the memory budget and none came"
          + " free within " + waitMs + " ms; try again later");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LabelFlightException(LabelFlightException.Kind.CANCELLED, holder + " interrupted");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof LabelFlightException l ? l
          : LabelFlightException.exhausted(holder + ": " + e.getCause().getMessage());
    }
  }

  long bytes() {
    return bytes;
  }

  @Override
  public void close() {
    budget.free(holder, bytes);
  }
}
