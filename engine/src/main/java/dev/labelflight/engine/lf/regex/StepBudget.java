package dev.labelflight.engine.lf.regex;

import dev.labelflight.engine.cancel.CancelToken;

/**
 * The work a slow regex engine (the NFA simulation, RE2J) may still do on one chunk for one LF, in steps
 * (one live NFA thread moved over one character). Engines report their steps in batches through
 * {@link #spend}, which also checks the thread's {@link CancelToken}: a batch is a few thousand steps, tens
 * of microseconds. Past the budget {@link #spend} throws {@link Exhausted}, which the LF's evaluator turns
 * into RESOURCE_EXHAUSTED naming the LF. Not thread-safe: one per chunk and LF.
 */
public final class StepBudget {
  /** Steps between reports: a few tens of microseconds of work. */
  public static final int BATCH = 4096;

  private final long limit;
  private long left;

  /** At most {@code stepsPerByte} per byte of {@code textBytes} (at least of 1 MiB, so that small chunks are not held to a tiny budget). */
  public static StepBudget perByte(long stepsPerByte, long textBytes) {
    long bytes = Math.max(textBytes, 1L << 20);
    long steps = stepsPerByte > Long.MAX_VALUE / bytes ? Long.MAX_VALUE : stepsPerByte * bytes;
    return new StepBudget(steps);
  }

  public StepBudget(long steps) {
    this.limit = steps;
    this.left = steps;
  }

  /** Takes {@code steps} from the budget and checks for cancellation; throws {@link Exhausted} past the budget. */
  public void spend(long steps) {
    CancelToken.check();
    left -= steps;
    if (left < 0) {
      throw new Exhausted(limit);
    }
  }

  /** Thrown by {@link #spend} once the budget is used up. */
  public static final class Exhausted extends RuntimeException {
    private final long steps;

    Exhausted(long steps) {
      super("step budget of " + steps + " exhausted", null, false, false);
      this.steps = steps;
    }

    /** The budget that was used up. */
    public long steps() {
      return steps;
    }
  }
}
