package dev.labelflight.flight.call;

import dev.labelflight.engine.error.LabelFlightException;
import io.vertx.core.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Blocking waits for bus replies on Flight's threads (never on an event loop), bounded by
 * {@code flight.callTimeoutMs}: the bus request itself times out then (and says about what); this wait
 * gives it a moment more and is only the backstop. A wait that runs out is TIMED_OUT naming what was
 * asked, never an internal reply address.
 */
public final class BusCalls {
  /** How much longer than the bus request this wait lasts, so that the bus's own timeout answers first. */
  private static final long GRACE_MS = 1_000;
  private final long timeoutMs;

  public BusCalls(long timeoutMs) {
    this.timeoutMs = timeoutMs;
  }

  public long timeoutMs() {
    return timeoutMs;
  }

  /** The future's value; its failure as thrown; TIMED_OUT about {@code what} (e.g. "the status of job 'x'") after the timeout. */
  public <T> T await(Future<T> future, String what) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeoutMs + GRACE_MS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw (Exception) (e.getCause() instanceof Exception c ? c : e);
    } catch (TimeoutException e) {
      throw new LabelFlightException(LabelFlightException.Kind.TIMED_OUT, "no answer about " + what + " within "
          + timeoutMs + " ms (flight.callTimeoutMs); the node may be overloaded, retry later")
          .withDetail(LabelFlightException.Detail.LIMIT, timeoutMs)
          .withDetail(LabelFlightException.Detail.UNIT, "ms");
    }
  }
}
