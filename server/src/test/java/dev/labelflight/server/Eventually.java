package dev.labelflight.server;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/** Bounded waits for something that becomes true by itself: the condition is polled every 20 ms until a deadline. */
final class Eventually {
  private Eventually() {}

  /** Returns once {@code condition} holds; fails with {@code what} (and the wait) if it still does not after {@code limit}. */
  static void until(Duration limit, Callable<Boolean> condition, Supplier<String> what) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what.get() + " (still not after " + limit.toMillis() + " ms)");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }
}
