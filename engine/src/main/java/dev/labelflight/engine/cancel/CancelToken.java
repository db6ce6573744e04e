package dev.labelflight.engine.cancel;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.function.Supplier;

/**
 * Says whether a piece of work (a job, one chunk task) must stop, and why. The owner of the work
 * creates it and calls {@link #cancel}; code that runs user-supplied logic (regex, CEL, keyword,
 * similarity, model and Python LFs) calls {@link #check()} at least every few milliseconds of work and
 * lets the {@link CancelledException} it throws unwind, freeing what it holds in {@code finally}.
 *
 * <p>The token of the running work is bound to the thread with {@link #within}; evaluators reach it
 * through the static {@link #check()}, so that the many evaluator signatures need not carry it. A thread
 * with no bound token is never cancelled. Checking costs a thread-local read and a volatile read.
 */
public final class CancelToken {
  /** A token that is never cancelled and has no deadline. */
  public static final CancelToken NEVER = new CancelToken(Long.MAX_VALUE);

  private static final ThreadLocal<CancelToken> CURRENT = new ThreadLocal<>();

  private final long deadlineNanos;
  private volatile Reason reason;
  private volatile String detail;

  /** Why work was stopped. */
  public enum Reason {
    /** A user asked for it. */
    CANCELLED,
    /** The job or task ran past its time limit. */
    TIMED_OUT,
    /** The node is shutting down and its drain time is over. */
    SHUTDOWN,
    /** The work's memory reservation was revoked. */
    RESOURCE_EXHAUSTED
  }

  private CancelToken(long deadlineNanos) {
    this.deadlineNanos = deadlineNanos;
  }

  /** A token with no deadline. */
  public static CancelToken create() {
    return new CancelToken(Long.MAX_VALUE);
  }

  /** A token that counts as {@link Reason#TIMED_OUT} once {@code timeoutNanos} have passed from now (<= 0: none). */
  public static CancelToken withTimeout(long timeoutNanos) {
    return new CancelToken(timeoutNanos <= 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos);
  }

  /** Stops the work for {@code why}; the first reason given wins. {@code detail} is shown to the user. */
  public void cancel(Reason why, String detail) {
    if (this == NEVER) {
      throw new IllegalStateException("the NEVER token cannot be cancelled");
    }
    synchronized (this) {
      if (reason == null) {
        this.detail = detail;
        this.reason = why;
      }
    }
  }

  /** Whether the work must stop (cancelled, or past its deadline). */
  public boolean isCancelled() {
    return reason != null || (deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos > 0);
  }

  /** Why the work must stop, or null while it may go on. */
  public Reason reason() {
    Reason r = reason;
    if (r == null && deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos > 0) {
      return Reason.TIMED_OUT;
    }
    return r;
  }

  /** Throws {@link CancelledException} if the work must stop. */
  public void throwIfCancelled() {
    Reason r = reason();
    if (r != null) {
      throw new CancelledException(r, detail != null ? detail : defaultDetail(r));
    }
  }

  /** Runs {@code work} with this token bound to the current thread (restoring the previous one after). */
  public <T> T within(Supplier<T> work) {
    CancelToken previous = CURRENT.get();
    CURRENT.set(this);
    try {
      return work.get();
    } finally {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    }
  }

  /** The token bound to this thread, or {@link #NEVER}. */
  public static CancelToken current() {
    CancelToken t = CURRENT.get();
    return t != null ? t : NEVER;
  }

  /** Throws {@link CancelledException} if the work running on this thread must stop. Call it often. */
  public static void check() {
    CancelToken t = CURRENT.get();
    if (t != null) {
      t.throwIfCancelled();
    }
  }

  private static String defaultDetail(Reason r) {
    return switch (r) {
      case CANCELLED -> "cancelled by request";
      case TIMED_OUT -> "ran past its time limit";
      case SHUTDOWN -> "the node is shutting down";
      case RESOURCE_EXHAUSTED -> "its memory reservation was revoked";
    };
  }

  /** Thrown where work observes its token: a {@link LabelFlightException} of the matching kind. */
  public static final class CancelledException extends LabelFlightException {
    private final Reason reason;

    public CancelledException(Reason reason, String message) {
      super(switch (reason) {
        case CANCELLED, SHUTDOWN -> Kind.CANCELLED;
        case TIMED_OUT -> Kind.TIMED_OUT;
        case RESOURCE_EXHAUSTED -> Kind.RESOURCE_EXHAUSTED;
      }, message);
      this.reason = reason;
    }

    public Reason reason() {
      return reason;
    }
  }
}
