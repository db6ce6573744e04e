package dev.labelflight.pyworkers;

import dev.labelflight.engine.cancel.CancelToken;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Watches the Python processes that are busy: every {@value #TICK_MS} ms it kills (SIGKILL) a process whose
 * work was cancelled or ran past its deadline, and every few ticks one whose resident memory grew past its
 * limit. The thread that waits for the process's reply then sees the stream end and asks {@link Watch#reason}.
 * One daemon thread per pool; no busy process, no work.
 */
final class TaskWatchdog implements AutoCloseable {
  static final int TICK_MS = 5;
  private static final int RSS_EVERY_TICKS = 4;

  /** Why a watched process was killed. */
  enum Reason { CANCELLED, TIMED_OUT, MEMORY }

  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "python-worker-watchdog");
    t.setDaemon(true);
    return t;
  });
  private final Set<Watch> watches = ConcurrentHashMap.newKeySet();
  private long ticks;

  TaskWatchdog() {
    timer.scheduleWithFixedDelay(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
  }

  /**
   * Watches {@code process} until the returned watch is closed: {@code token} cancelled or {@code deadlineNanos}
   * passed (System.nanoTime) kills it; so does resident memory above {@code baselineRss + rssLimit} (0: none).
   */
  Watch watch(ProcessHandle process, CancelToken token, long deadlineNanos, long baselineRss, long rssLimit) {
    Watch w = new Watch(process, token, deadlineNanos, baselineRss, rssLimit);
    watches.add(w);
    return w;
  }

  private void tick() {
    boolean rss = ++ticks % RSS_EVERY_TICKS == 0;
    long now = System.nanoTime();
    for (Watch w : watches) {
      if (w.reason != null) {
        continue;
      }
      if (w.token.isCancelled()) {
        w.kill(Reason.CANCELLED);
      } else if (now - w.deadlineNanos > 0) {
        w.kill(Reason.TIMED_OUT);
      } else if (rss && w.rssLimit > 0) {
        long used = ProcMemory.rssBytes(w.process.pid()) - w.baselineRss;
        if (used > w.rssLimit) {
          w.usedBytes = used;
          w.kill(Reason.MEMORY);
        }
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  /** One busy process. */
  final class Watch implements AutoCloseable {
    private final ProcessHandle process;
    private final CancelToken token;
    private final long deadlineNanos;
    private final long baselineRss;
    private final long rssLimit;
    private volatile Reason reason;
    private volatile long usedBytes;

    private Watch(ProcessHandle process, CancelToken token, long deadlineNanos, long baselineRss, long rssLimit) {
      this.process = process;
      this.token = token;
      this.deadlineNanos = deadlineNanos;
      this.baselineRss = baselineRss;
      this.rssLimit = rssLimit;
    }

    private void kill(Reason why) {
      reason = why;
      process.destroyForcibly();
    }

    /** Why the watchdog killed the process, or null. */
    Reason reason() {
      return reason;
    }

    /** The memory growth that killed it ({@link Reason#MEMORY}). */
    long usedBytes() {
      return usedBytes;
    }

    @Override
    public void close() {
      watches.remove(this);
    }
  }
}
