package dev.labelflight.engine.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class LocalMemoryBudgetTest {

  /** Verifies that a waiting reservation completes when enough is freed, in arrival order. */
  @Test
  void reserveWaitsAndCompletesInOrder() {
    MemoryBudget budget = new LocalMemoryBudget("node", 100);
    assertTrue(budget.reserve("a", 80).isDone());
    CompletableFuture<Void> b = budget.reserve("b", 50);
    CompletableFuture<Void> c = budget.reserve("c", 10);
    assertFalse(b.isDone());
    assertFalse(c.isDone(), "c must not overtake b");
    assertFalse(budget.tryReserve("d", 5), "tryReserve must not overtake waiters");
    budget.free("a", 80);
    assertTrue(b.isDone());
    assertTrue(c.isDone());
    assertEquals(60, budget.reservedBytes());
    budget.free("b", 50);
    budget.free("c", 10);
    assertEquals(100, budget.freeBytes());
  }

  /** Verifies that free checks its input and that an impossible request fails at once. */
  @Test
  void freeChecksOwnerAndImpossibleRequestFails() {
    MemoryBudget budget = new LocalMemoryBudget("node", 100);
    budget.reserve("a", 10);
    assertThrows(IllegalArgumentException.class, () -> budget.free("a", 11));
    assertThrows(IllegalArgumentException.class, () -> budget.free("b", 1));
    LabelFlightException e = assertThrows(LabelFlightException.class, () -> budget.reserve("x", 101));
    assertEquals(LabelFlightException.Kind.RESOURCE_EXHAUSTED, e.kind());
    assertEquals(10, budget.reservedBy("a"));
  }

  /** Verifies that a waiter that gave up does not keep bytes once served. */
  @Test
  void cancelledWaiterGetsNothing() {
    MemoryBudget budget = new LocalMemoryBudget("node", 100);
    budget.reserve("a", 100);
    CompletableFuture<Void> b = budget.reserve("b", 40);
    b.cancel(false);
    budget.free("a", 100);
    assertEquals(0, budget.reservedBytes());
  }
}
