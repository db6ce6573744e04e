package dev.labelflight.server;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * Bounded waits for the tests: polls a condition until it holds or the deadline passes, then fails with
 * the last value seen. Polls back off from 5 ms to 100 ms, so a fast condition is seen fast and a slow one
 * costs little.
 */
final class Await {
  private Await() {}

  /** Polls {@code probe} until {@code done} accepts its value; returns that value, or fails after {@code within}. */
  static <T> T until(Duration within, Callable<T> probe, Predicate<T> done, String what) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    long pause = 5_000_000L;
    T last = probe.call();
    while (!done.test(last)) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(what + ": not reached within " + within.toMillis() + " ms; last seen: " + last);
      }
      LockSupport.parkNanos(pause);
      pause = Math.min(pause * 2, 100_000_000L);
      last = probe.call();
    }
    return last;
  }

  /** As {@link #until} for a plain condition. */
  static void condition(Duration within, Callable<Boolean> condition, String what) throws Exception {
    until(within, condition, Boolean::booleanValue, what);
  }
}
