package dev.labelflight.flight.call;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.concurrent.Semaphore;

/**
 * How many Flight calls (uploads, actions, listings) a node serves at once: {@code flight.threads +
 * flight.queue}. Beyond it a call is refused at once with RESOURCE_EXHAUSTED naming the limit, never queued.
 *
 * <p>Why a count and not a bounded thread pool: gRPC delivers a call's messages on the server's executor,
 * the same one that runs the calls. An upload waits on its thread for its client's next message; with a
 * bounded pool, enough waiting uploads hold every thread while the callbacks that would hand them their
 * messages wait behind them, and the node answers no call again (seen in the 3-node fault run). So the
 * executor grows as needed and this count keeps the number of calls, and so of their threads, bounded.
 */
public final class CallSlots {
  private final int max;
  private final Semaphore slots;

  public CallSlots(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("at least one Flight call slot: " + max);
    }
    this.max = max;
    this.slots = new Semaphore(max);
  }

  /** A slot for one call, released when the returned handle closes; RESOURCE_EXHAUSTED if none is free. */
  public Slot take() {
    if (!slots.tryAcquire()) {
      throw LabelFlightException.exhausted("this node is serving " + max + " Flight calls, its limit"
          + " (flight.threads + flight.queue); retry shortly")
          .withDetail(LabelFlightException.Detail.LIMIT, max);
    }
    return new Slot();
  }

  /** Calls in progress. */
  public int inUse() {
    return max - slots.availablePermits();
  }

  /** One call's slot; closing it twice releases it once. */
  public final class Slot implements AutoCloseable {
    private boolean closed;

    private Slot() {}

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        slots.release();
      }
    }
  }
}
