package dev.labelflight.flight.stream;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.flight.call.FlightErrors;
import io.reactivex.rxjava3.core.FlowableSubscriber;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one DoGet stream without holding a thread while it waits: it requests the body's next unit only
 * when the last one is sent (a prefetch of one), and sends a unit's next batch only when the client can
 * take it ({@code isReady}; Flight's {@code onReady} callback resumes it). Waiting for the job's next chunk
 * or for the client costs no thread, so streams that are never read block nobody. All work on the
 * stream (opening units, sending, ending) runs on {@code executor}, one step at a time (a drain loop), so
 * the listener is never used by two threads at once.
 *
 * <p>The stream ends once: completed after the last unit, failed (its error through the one error
 * mapping), cancelled by the client ({@code isCancelled}), or failed as stalled when the client took
 * nothing for {@code flight.streamStallMs} ({@link #checkStall}). Ending cancels the units, closes the
 * unit in progress and the body (the stream's memory), and gives its slot back.
 */
public final class FlightSink<T> implements FlowableSubscriber<T> {
  private static final Logger LOG = LoggerFactory.getLogger(FlightSink.class);

  private final StreamBody<T> body;
  private final ServerStreamListener listener;
  private final StreamOut out;
  private final Executor executor;
  private final Runnable onEnd;
  private final AtomicInteger wip = new AtomicInteger();
  private final AtomicReference<Subscription> subscription = new AtomicReference<>();
  private final AtomicReference<T> delivered = new AtomicReference<>();
  private volatile boolean unitsDone;
  private volatile Throwable failure;
  private volatile boolean cancelled;
  /** When the sink began waiting for the client (System.nanoTime()), or 0 while it is not waiting for it. */
  private volatile long waitingSince;
  // Touched by the drain loop only.
  private Batches current;
  private boolean started;
  private boolean requested;
  private boolean finishing;
  private volatile boolean ended;

  /**
   * @param onEnd runs once when the stream has ended (its slot goes back)
   */
  public FlightSink(StreamBody<T> body, ServerStreamListener listener, StreamOut out, Executor executor, Runnable onEnd) {
    this.body = body;
    this.listener = listener;
    this.out = out;
    this.executor = executor;
    this.onEnd = onEnd;
  }

  /** Subscribes to the body's units; the stream starts on the executor. */
  public void start() {
    body.units().subscribe(this);
  }

  @Override
  public void onSubscribe(Subscription s) {
    subscription.set(s);
    if (ended) {
      s.cancel();
      return;
    }
    schedule();
  }

  @Override
  public void onNext(T unit) {
    delivered.set(unit);
    schedule();
  }

  @Override
  public void onError(Throwable t) {
    failure = t;
    schedule();
  }

  @Override
  public void onComplete() {
    unitsDone = true;
    schedule();
  }

  /** Flight's onReady: the client can take more. */
  public void onReady() {
    schedule();
  }

  /** Flight's onCancel: the client went away. */
  public void onCancel() {
    cancelled = true;
    schedule();
  }

  /** Fails the stream if it has waited for its client longer than {@code stallNanos}; returns whether it did. */
  boolean checkStall(long now, long stallNanos, long stallMs) {
    long since = waitingSince;
    if (since == 0 || now - since < stallNanos || failure != null) {
      return false;
    }
    failure = new LabelFlightException(LabelFlightException.Kind.TIMED_OUT, "stream cancelled: the client took"
        + " nothing for " + stallMs + " ms (flight.streamStallMs)")
        .withDetail(LabelFlightException.Detail.LIMIT, stallMs).withDetail(LabelFlightException.Detail.UNIT, "ms");
    schedule();
    return true;
  }

  /** Whether the stream waits for its client to take more. */
  boolean waitingForClient() {
    return waitingSince != 0;
  }

  private void schedule() {
    if (wip.getAndIncrement() != 0) {
      return;
    }
    try {
      executor.execute(this::drain);
    } catch (RejectedExecutionException e) {
      // Never expected (the pool's queue holds one step per open stream): end here, this thread owns the drain.
      failure = e;
      drain();
    }
  }

  private void drain() {
    int missed = 1;
    do {
      step();
      missed = wip.addAndGet(-missed);
    } while (missed != 0);
  }

  /** Does what can be done now, then returns: the next callback (a unit, onReady, a cancel) schedules more. */
  private void step() {
    if (ended) {
      return;
    }
    try {
      if (!started) {
        started = true;
        body.start(out);
      }
      while (true) {
        if (cancelled || listener.isCancelled()) {
          end(null, true);
          return;
        }
        if (failure != null) {
          end(failure, false);
          return;
        }
        if (!listener.isReady()) {
          if (waitingSince == 0) {
            waitingSince = System.nanoTime();
          }
          return;
        }
        waitingSince = 0;
        if (current != null) {
          if (!current.sendNext(out)) {
            current.close();
            current = null;
          }
          continue;
        }
        T unit = delivered.getAndSet(null);
        if (unit != null) {
          requested = false;
          current = body.open(unit);
          continue;
        }
        if (unitsDone) {
          if (!finishing) {
            finishing = true;
            current = body.finish();
            continue;
          }
          end(null, false);
          return;
        }
        if (!requested && subscription.get() != null) {
          requested = true;
          subscription.get().request(1);
          continue;
        }
        return;
      }
    } catch (Throwable t) {
      end(t, false);
    }
  }

  /** Ends the stream once: the units cancelled, memory freed, the client told (unless it left), the slot given back. */
  private void end(Throwable error, boolean clientLeft) {
    ended = true;
    waitingSince = 0;
    Subscription s = subscription.get();
    if (s != null) {
      s.cancel();
    }
    try {
      if (current != null) {
        current.close();
        current = null;
      }
      body.close();
    } catch (RuntimeException e) {
      LOG.warn("stream memory not freed cleanly", e);
      error = error != null ? error : e;
    }
    try {
      if (clientLeft) {
        return;
      }
      if (error == null) {
        listener.completed();
      } else {
        listener.error(FlightErrors.toFlight(error));
      }
    } catch (RuntimeException e) {
      LOG.debug("stream ended after its call: {}", e.toString());
    } finally {
      onEnd.run();
    }
  }
}
