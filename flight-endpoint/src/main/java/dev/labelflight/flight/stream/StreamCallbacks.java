package dev.labelflight.flight.stream;

import org.apache.arrow.flight.FlightProducer.ServerStreamListener;

/**
 * Flight's {@code onReady} and {@code onCancel} callbacks of one DoGet: set while {@code getStream} runs
 * (Flight keeps them in plain fields, so they are set on its thread, before it returns) and passed on to
 * the stream's sink once there is one.
 */
final class StreamCallbacks {
  private volatile FlightSink<?> sink;
  private volatile boolean cancelled;

  StreamCallbacks(ServerStreamListener listener) {
    listener.setOnReadyHandler(this::ready);
    listener.setOnCancelHandler(this::cancel);
  }

  void attach(FlightSink<?> s) {
    sink = s;
    if (cancelled) {
      s.onCancel();
    }
  }

  private void ready() {
    FlightSink<?> s = sink;
    if (s != null) {
      s.onReady();
    }
  }

  private void cancel() {
    cancelled = true;
    FlightSink<?> s = sink;
    if (s != null) {
      s.onCancel();
    }
  }
}
