package dev.labelflight.flight.stream;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.flight.FlightTraffic;
import org.apache.arrow.flight.BackpressureStrategy;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.dictionary.DictionaryProvider;

/** One DoGet's way out: starts the stream, waits for the client to take more, sends batches and counts them. */
public final class StreamOut {
  private static final long READY_POLL_MS = 2;
  private final ServerStreamListener listener;
  private final FlightTraffic traffic;
  private final BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
  private VectorSchemaRoot root;

  public StreamOut(ServerStreamListener listener, FlightTraffic traffic) {
    this.listener = listener;
    this.traffic = traffic;
    backpressure.register(listener);
  }

  /** Starts the stream with {@code root} as the batch every send goes through. */
  public void start(VectorSchemaRoot root) {
    start(root, null);
  }

  public void start(VectorSchemaRoot root, DictionaryProvider dictionaries) {
    this.root = root;
    if (dictionaries == null) {
      listener.start(root);
    } else {
      listener.start(root, dictionaries);
    }
  }

  /** Waits for the client to take more; false if it went away. */
  public boolean awaitReady() {
    while (true) {
      if (listener.isCancelled()) {
        return false;
      }
      // Flight delivers the onReady callback on the call's serialized executor, which may be busy: re-check
      // isReady in short waits.
      BackpressureStrategy.WaitResult result = backpressure.waitForListener(READY_POLL_MS);
      switch (result) {
        case READY:
          return true;
        case CANCELLED:
          return false;
        case TIMEOUT:
          continue;
        default:
          throw LabelFlightException.internal("stream failed while waiting for the client", null);
      }
    }
  }

  /**
   * Moves a chunk's buffers into the stream's root and sends them. Without null counts: the loader then
   * takes each validity buffer as it is instead of counting it and allocating a new one; Flight counts
   * them once when it sends the root.
   */
  public void send(VectorSchemaRoot chunk) {
    try (ArrowRecordBatch batch = new VectorUnloader(chunk, false, NoCompressionCodec.INSTANCE, true).getRecordBatch()) {
      new VectorLoader(root).load(batch);
      putNext();
    }
  }

  /** Sends what the root holds now. */
  public void putNext() {
    traffic.sent(root);
    listener.putNext();
  }

  public void completed() {
    listener.completed();
  }
}
