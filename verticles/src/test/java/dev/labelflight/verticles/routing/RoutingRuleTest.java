package dev.labelflight.verticles.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.apply.ExecutionMode;
import dev.labelflight.verticles.resident.CopyState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The routing rule as a table: inputs on the left, the route (and its fallback) on the right. */
class RoutingRuleTest {
  private static final long MIB = 1 << 20;

  /**
   * Verifies each row: mode, this node's copy, the copy's and one chunk's label bytes, the budget and the
   * free part of it (MiB), whether resident copies are enabled and other nodes may hold one; the route's
   * kind, copy action, the fallback's kind ({@code -}: none) and a piece of the reason.
   */
  @ParameterizedTest(name = "{0} copy={1} copy={2}+{3} MiB budget={4} free={5} -> {8} {9}")
  @CsvSource(delimiter = '|', textBlock = """
      # mode   | copy    | copy | job | budget | free | enabled | others | kind     | action             | fallback | reason
      QUEUE    | READY   | 10   | 2   | 100    | 100  | true    | true   | QUEUE    | NONE               | -        | mode queue requested
      QUEUE    | NONE    | 10   | 2   | 100    | 100  | true    | false  | QUEUE    | NONE               | -        | mode queue requested
      AUTO     | READY   | 10   | 2   | 100    | 0    | true    | false  | RESIDENT | USE                | QUEUE    | dataset is resident
      RESIDENT | READY   | 10   | 2   | 100    | 0    | true    | false  | RESIDENT | USE                | REJECT   | dataset is resident
      AUTO     | LOADING | 10   | 2   | 100    | 100  | true    | false  | QUEUE    | NONE               | -        | a resident copy is loading
      AUTO     | NONE    | 10   | 2   | 100    | 100  | false   | true   | QUEUE    | NONE               | -        | resident datasets are disabled
      AUTO     | NONE    | 10   | 2   | 100    | 12   | true    | false  | QUEUE    | LOAD_FOR_NEXT_TIME | QUEUE    | dataset needs 12 MiB in memory (10 MiB for a resident copy, 2 MiB for a chunk's labels) and 12 MiB of the budget are free: loading a resident copy for next time
      AUTO     | NONE    | 10   | 2   | 100    | 11   | true    | false  | QUEUE    | NONE               | -        | dataset needs 12 MiB in memory (10 MiB for a resident copy, 2 MiB for a chunk's labels); only 11 MiB of the budget of 100 MiB are free: task queue
      AUTO     | NONE    | 10   | 2   | 100    | 11   | true    | true   | REMOTE   | LOAD_FOR_NEXT_TIME | QUEUE    | only 11 MiB of the budget of 100 MiB are free
      AUTO     | NONE    | 10   | 2   | 11     | 11   | true    | false  | QUEUE    | NONE               | -        | more than the budget of 11 MiB
      AUTO     | NONE    | 10   | 2   | 11     | 11   | true    | true   | REMOTE   | LOAD_FOR_NEXT_TIME | QUEUE    | more than the budget of 11 MiB
      RESIDENT | NONE    | 10   | 2   | 100    | 0    | true    | false  | RESIDENT | LOAD               | REJECT   | mode resident requested: loading the dataset (10 MiB)
      RESIDENT | NONE    | 10   | 2   | 100    | 0    | false   | false  | RESIDENT | LOAD               | REJECT   | mode resident requested
      RESIDENT | LOADING | 10   | 2   | 100    | 0    | true    | false  | RESIDENT | AWAIT              | REJECT   | waited for the resident copy to load
      RESIDENT | NONE    | 10   | 2   | 11     | 11   | true    | false  | REJECT   | NONE               | -        | mode resident: dataset needs 12 MiB in memory (10 MiB for a resident copy, 2 MiB for a chunk's labels), more than the budget of 11 MiB
      RESIDENT | NONE    | 10   | 2   | 11     | 11   | true    | true   | REMOTE   | AWAIT              | REJECT   | more than the budget of 11 MiB
      """)
  void routes(ExecutionMode mode, CopyState copy, long copyMiB, long jobMiB, long budgetMiB, long freeMiB,
      boolean enabled, boolean others, Route.Kind kind, Route.CopyAction action, String fallback, String reason) {
    Route route = RoutingRule.decide(new RouteInputs(mode, copy, copyMiB * MIB, jobMiB * MIB, budgetMiB * MIB,
        freeMiB * MIB, enabled, others));
    assertEquals(kind, route.kind(), route.toString());
    assertEquals(action, route.copy(), route.toString());
    if (fallback.equals("-")) {
      assertNull(route.fallback(), route.toString());
    } else {
      assertEquals(Route.Kind.valueOf(fallback), route.fallback().kind(), route.toString());
    }
    assertTrue(route.reason().contains(reason), route.reason());
  }

  /**
   * Verifies the wedge of issue 16.1 cannot be routed into: a copy that fits the free budget but leaves no
   * room for one chunk's labels is not loaded in mode auto, and is refused in mode resident with the
   * bytes needed and the budget, when it exceeds the budget.
   */
  @org.junit.jupiter.api.Test
  void aCopyThatLeavesNoRoomForLabelsIsNotLoaded() {
    long copy = 17 * MIB + 300_000;
    long labels = 3 * MIB;
    long budget = 18 * MIB;
    Route auto = RoutingRule.decide(new RouteInputs(ExecutionMode.AUTO, CopyState.NONE, copy, labels, budget, budget,
        true, false));
    assertEquals(Route.Kind.QUEUE, auto.kind());
    assertEquals(Route.CopyAction.NONE, auto.copy(), auto.reason());
    Route forced = RoutingRule.decide(new RouteInputs(ExecutionMode.RESIDENT, CopyState.NONE, copy, labels, budget,
        budget, true, false));
    assertEquals(Route.Kind.REJECT, forced.kind());
    assertEquals("mode resident: dataset needs 21 MiB in memory (18 MiB for a resident copy, 3 MiB for a chunk's"
        + " labels), more than the budget of 18 MiB", forced.reason());
  }
}
