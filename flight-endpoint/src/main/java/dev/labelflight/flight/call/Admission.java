package dev.labelflight.flight.call;

import dev.labelflight.engine.error.LabelFlightException;

/** Whether this node takes new work (uploads, applies, derives): closed for good at graceful shutdown. */
public final class Admission {
  private volatile boolean closed;

  /** From now on new work fails with UNAVAILABLE; reads keep working. */
  public void refuseNewWork() {
    closed = true;
  }

  /** UNAVAILABLE once {@link #refuseNewWork()} was called. */
  public void checkOpen() {
    if (closed) {
      throw new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE, "shutting down: this node takes no new work");
    }
  }
}
