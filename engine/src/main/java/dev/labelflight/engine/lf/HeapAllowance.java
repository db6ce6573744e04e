package dev.labelflight.engine.lf;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Heap bytes that resident copies may keep for every job (their text columns and skip indexes). The memory
 * budget counts these bytes too, but it is sized for off-heap Arrow memory: the heap needs a bound of its
 * own, or a dataset that fits the budget could still exhaust {@code -Xmx}. A copy that does not fit is
 * simply not kept (its jobs copy the text per chunk, as the task queue does).
 */
public final class HeapAllowance {
  private final long limit;
  private final AtomicLong used = new AtomicLong();

  public HeapAllowance(long limitBytes) {
    if (limitBytes < 0) {
      throw new IllegalArgumentException("negative heap allowance: " + limitBytes);
    }
    this.limit = limitBytes;
  }

  /** {@code fraction} (0..1) of this JVM's max heap. */
  public static HeapAllowance ofMaxHeap(double fraction) {
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new IllegalArgumentException("heap fraction must be within 0..1, not " + fraction);
    }
    return new HeapAllowance((long) (Runtime.getRuntime().maxMemory() * fraction));
  }

  /** Takes {@code bytes} if they fit now; never waits. */
  public boolean tryReserve(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("negative reservation: " + bytes);
    }
    while (true) {
      long now = used.get();
      if (now + bytes > limit) {
        return false;
      }
      if (used.compareAndSet(now, now + bytes)) {
        return true;
      }
    }
  }

  /** Gives back {@code bytes} taken by {@link #tryReserve}. */
  public void free(long bytes) {
    long after = used.addAndGet(-bytes);
    if (bytes < 0 || after < 0) {
      used.addAndGet(bytes);
      throw new IllegalStateException("freed " + bytes + " bytes, more than the " + (after + bytes) + " reserved");
    }
  }

  public long used() {
    return used.get();
  }

  public long limit() {
    return limit;
  }
}
