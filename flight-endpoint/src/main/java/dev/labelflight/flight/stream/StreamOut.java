package dev.labelflight.flight.stream;

import dev.labelflight.flight.FlightTraffic;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

/**
 * One DoGet's way out, used only by its {@link FlightSink} (which decides when the client can take more):
 * starts the stream with the root every batch goes through, sends batches, counts their bytes.
 */
public final class StreamOut {
  private final ServerStreamListener listener;
  private final FlightTraffic traffic;
  private VectorSchemaRoot root;
  private long batches;

  StreamOut(ServerStreamListener listener, FlightTraffic traffic) {
    this.listener = listener;
    this.traffic = traffic;
  }

  /** Starts the stream (sends the schema) with {@code root} as the batch every send goes through. */
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

  /** Sends what the root holds now (Flight serializes it at once: the root may be refilled right after). */
  public void putNext() {
    traffic.sent(root);
    listener.putNext();
    batches++;
  }

  /** Batches sent so far. */
  public long batches() {
    return batches;
  }
}
