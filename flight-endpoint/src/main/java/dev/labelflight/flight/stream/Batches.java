package dev.labelflight.flight.stream;

/**
 * The batches of one unit of a stream (a chunk's labels, a chunk's model outputs in slices), pulled one at
 * a time by the {@link FlightSink} whenever the client can take more. Holds the unit's memory until closed.
 */
public interface Batches extends AutoCloseable {
  /** No batches. */
  Batches NONE = out -> false;

  /**
   * Sends the next batch through {@code out} (a bounded amount: normally one batch); returns false when
   * this unit has nothing more to send. May block on disk, never on the client.
   */
  boolean sendNext(StreamOut out) throws Exception;

  /** Frees what the unit holds; called once, also when the stream ends early. */
  @Override
  default void close() {}

  /** One chunk sent as one batch, closed afterwards. */
  static Batches single(org.apache.arrow.vector.VectorSchemaRoot chunk) {
    return new Batches() {
      @Override
      public boolean sendNext(StreamOut out) {
        out.send(chunk);
        return false;
      }

      @Override
      public void close() {
        chunk.close();
      }
    };
  }
}
