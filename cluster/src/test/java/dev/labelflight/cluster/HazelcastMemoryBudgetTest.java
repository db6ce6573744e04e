package dev.labelflight.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HazelcastMemoryBudgetTest {
  private static ClusterNode node;

  @BeforeAll
  static void start() {
    node = ClusterNode.start("labelflight-test", 5701, List.of(), 100 << 10);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  /** Verifies that a waiting reservation completes when enough is freed, in arrival order, and that the semaphore returns to full. */
  @Test
  void reserveWaitsInOrderAndReturnsToFull() throws Exception {
    HazelcastMemoryBudget budget = node.budget();
    assertEquals(100 << 10, budget.maxBytes());
    assertTrue(budget.reserve("a", 80 << 10).isDone());
    CompletableFuture<Void> b = budget.reserve("b", 50 << 10);
    CompletableFuture<Void> c = budget.reserve("c", 10 << 10);
    Thread.sleep(200);
    assertFalse(b.isDone());
    assertFalse(c.isDone(), "c must not overtake b");
    assertFalse(budget.tryReserve("d", 5 << 10), "tryReserve must not overtake waiters");
    budget.free("a", 80 << 10);
    b.get(10, TimeUnit.SECONDS);
    c.get(10, TimeUnit.SECONDS);
    assertEquals(60 << 10, budget.reservedBytes());
    assertEquals(40 << 10, node.freeBytesOf(node.nodeId()), "other nodes see the same free memory");
    budget.free("b", 50 << 10);
    budget.free("c", 10 << 10);
    assertEquals(100 << 10, budget.freeBytes());
  }

  /** Verifies that free checks its owner and that a request larger than the budget fails at once. */
  @Test
  void freeChecksOwnerAndImpossibleRequestFails() {
    HazelcastMemoryBudget budget = node.budget();
    assertTrue(budget.tryReserve("a", 10 << 10));
    assertThrows(IllegalArgumentException.class, () -> budget.free("a", 11 << 10));
    assertThrows(IllegalArgumentException.class, () -> budget.free("z", 1));
    LabelFlightException e = assertThrows(LabelFlightException.class, () -> budget.reserve("x", 101 << 10));
    assertEquals(LabelFlightException.Kind.RESOURCE_EXHAUSTED, e.kind());
    budget.free("a", 10 << 10);
    assertEquals(budget.maxBytes(), budget.freeBytes());
  }

  /** Verifies that the loopback configuration refuses a member that is not on 127.0.0.1. */
  @Test
  void refusesNonLoopbackMembers() {
    assertThrows(IllegalArgumentException.class,
        () -> LoopbackHazelcastConfig.build("x", 5701, List.of("10.0.0.1")));
  }
}
