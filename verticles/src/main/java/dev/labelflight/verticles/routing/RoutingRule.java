package dev.labelflight.verticles.routing;

import dev.labelflight.engine.apply.ExecutionMode;
import dev.labelflight.verticles.resident.CopyState;

/**
 * The routing rule: where a job runs, from its {@link RouteInputs} alone (no I/O, no state; unit-tested as
 * a table). In order:
 *
 * <ol>
 *   <li>{@code mode: queue}: the task queue.
 *   <li>A ready resident copy here: run on it (if this job's label arrays cannot be admitted next to it in
 *       time: the queue, or refused when the user forced {@code resident}).
 *   <li>{@code mode: resident}: a copy that is loading is waited for; else one is loaded here (evicting
 *       idle copies, waiting at most {@code resident.admissionWaitMs}, else refused with the bytes needed
 *       and free); when the copy and one chunk's labels exceed this node's budget, another node with room
 *       loads one and the job runs there, else it is refused.
 *   <li>{@code mode: auto}: a copy that is loading, or resident copies disabled: the queue. A dataset whose
 *       copy and one chunk's labels fit the free budget now: a copy is loaded for next time and the job runs
 *       on the queue meanwhile. Otherwise another node with room loads one for next time, and the job runs
 *       on the queue.
 * </ol>
 *
 * A copy is only loaded where a resident job's label arrays still fit beside it: a copy that leaves no
 * room for them would hold its bytes while every job on it waits.
 */
public final class RoutingRule {
  private RoutingRule() {}

  public static Route decide(RouteInputs in) {
    if (in.mode() == ExecutionMode.QUEUE) {
      return Route.queue("mode queue requested");
    }
    if (in.copy() == CopyState.READY) {
      Route otherwise = in.mode() == ExecutionMode.RESIDENT
          ? Route.reject("mode resident: the resident copy has no room for this job's label arrays")
          : Route.queue("the resident copy had no room for this job's label arrays: task queue");
      return new Route(Route.Kind.RESIDENT, Route.CopyAction.USE, "dataset is resident", otherwise);
    }
    String need = "dataset needs " + mib(in.residentBytes()) + " MiB in memory (" + mib(in.copyBytes())
        + " MiB for a resident copy, " + mib(in.jobBytes()) + " MiB for a chunk's labels)";
    if (in.mode() == ExecutionMode.RESIDENT) {
      if (in.copy() == CopyState.NONE && in.residentBytes() > in.budgetBytes()) {
        String tooBig = "mode resident: " + need + ", more than the budget of " + mibFloor(in.budgetBytes()) + " MiB";
        if (!in.otherNodes()) {
          return Route.reject(tooBig);
        }
        return new Route(Route.Kind.REMOTE, Route.CopyAction.AWAIT, tooBig,
            Route.reject(tooBig + ", and no other node has that much free"));
      }
      if (in.copy() == CopyState.LOADING) {
        return new Route(Route.Kind.RESIDENT, Route.CopyAction.AWAIT,
            "mode resident requested: waited for the resident copy to load",
            Route.reject("mode resident: the resident copy could not be loaded"));
      }
      return new Route(Route.Kind.RESIDENT, Route.CopyAction.LOAD,
          "mode resident requested: loading the dataset (" + mib(in.copyBytes()) + " MiB)",
          Route.reject("mode resident: " + need + " and could not be admitted"));
    }
    if (in.copy() == CopyState.LOADING) {
      return Route.queue("a resident copy is loading; this job runs on the task queue meanwhile");
    }
    if (!in.residentEnabled()) {
      return Route.queue("resident datasets are disabled");
    }
    if (in.residentBytes() > in.budgetBytes()) {
      return elsewhere(in, Route.queue(need + ", more than the budget of " + mibFloor(in.budgetBytes()) + " MiB"));
    }
    Route notHere = elsewhere(in, Route.queue(need + "; only " + mibFloor(in.freeBytes()) + " MiB of the budget of "
        + mibFloor(in.budgetBytes()) + " MiB are free: task queue"));
    if (in.residentBytes() <= in.freeBytes()) {
      return new Route(Route.Kind.QUEUE, Route.CopyAction.LOAD_FOR_NEXT_TIME, need + " and " + mibFloor(in.freeBytes())
          + " MiB of the budget are free: loading a resident copy for next time; this job runs on the task queue"
          + " meanwhile", notHere);
    }
    return notHere;
  }

  /**
   * Another node loads a copy for next time (the job runs on the queue here), when there may be one; the
   * reason says why not here (the router adds which node).
   */
  private static Route elsewhere(RouteInputs in, Route here) {
    if (!in.otherNodes()) {
      return here;
    }
    return new Route(Route.Kind.REMOTE, Route.CopyAction.LOAD_FOR_NEXT_TIME, here.reason().replace(": task queue", ""),
        here);
  }

  /** Whole MiB, rounded up: what is needed. */
  static long mib(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  /** Whole MiB, rounded down: what is there. */
  static long mibFloor(long bytes) {
    return Math.max(0, bytes) >> 20;
  }
}
