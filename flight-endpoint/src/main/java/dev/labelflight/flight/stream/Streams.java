package dev.labelflight.flight.stream;

import dev.labelflight.flight.FlightTraffic;
import dev.labelflight.flight.call.FlightErrors;
import io.grpc.Context;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;

/**
 * Runs DoGet streams: takes the stream's slot at once (RESOURCE_EXHAUSTED past the limits of
 * {@link OpenStreams}), opens its body on the stream pool (or, for bodies that block on another node, on
 * the relay pool) and drives it with a {@link FlightSink}.
 */
public final class Streams {
  private final OpenStreams open;
  private final ExecutorService pool;
  private final ExecutorService relayPool;
  private final FlightTraffic traffic;

  public Streams(OpenStreams open, ExecutorService pool, ExecutorService relayPool, FlightTraffic traffic) {
    this.open = open;
    this.pool = pool;
    this.relayPool = relayPool;
    this.traffic = traffic;
  }

  /** Opens a stream's body; may block (reads a job's status, a manifest). */
  @FunctionalInterface
  public interface Opener {
    StreamBody<?> open() throws Exception;
  }

  /**
   * Serves one DoGet to {@code listener}; call from {@code getStream} itself (it sets Flight's callbacks).
   *
   * @param counted whether the stream counts against its user's limit (node-to-node streams do not)
   * @param blocking whether the body's batches block on something other than disk (a relayed stream)
   */
  public void serve(ServerStreamListener listener, String user, boolean counted, boolean blocking, Opener opener) {
    StreamCallbacks callbacks = new StreamCallbacks(listener);
    OpenStreams.Slot slot;
    try {
      slot = open.open(user, counted);
    } catch (RuntimeException e) {
      listener.error(FlightErrors.toFlight(e));
      return;
    }
    ExecutorService executor = blocking ? relayPool : pool;
    try {
      executor.execute(Context.current().wrap(() -> {
        StreamBody<?> body;
        try {
          body = opener.open();
        } catch (Throwable t) {
          slot.close();
          listener.error(FlightErrors.toFlight(t));
          return;
        }
        FlightSink<?> sink = new FlightSink<>(body, listener, new StreamOut(listener, traffic), executor, slot::close);
        slot.watch(sink);
        callbacks.attach(sink);
        sink.start();
      }));
    } catch (RejectedExecutionException e) {
      slot.close();
      listener.error(FlightErrors.toFlight(new dev.labelflight.engine.error.LabelFlightException(
          dev.labelflight.engine.error.LabelFlightException.Kind.UNAVAILABLE, "too many streams open on this node; retry later")));
    }
  }
}
