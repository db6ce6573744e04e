package dev.labelflight.flight.stream;

import io.reactivex.rxjava3.core.Flowable;

/**
 * What a DoGet stream sends: units of work as they become available (chunk indexes, a job's finished label
 * chunks), requested one at a time by the {@link FlightSink}, and the batches of each unit. The body owns
 * the stream's memory (its root and allocator) until {@link #close()}.
 *
 * @param <T> a unit: small (an index, a file's checksum), never data, so that nothing is lost when a stream
 *     is cancelled with a unit in flight
 */
public interface StreamBody<T> extends AutoCloseable {
  /** Starts the stream through {@code out} (its schema, and the root every batch goes through). */
  void start(StreamOut out);

  /** The units, in order; subscribed once, requested one at a time. */
  Flowable<T> units();

  /** Starts one unit: reads what it needs (may block on disk) and returns its batches. */
  Batches open(T unit) throws Exception;

  /** Batches after the last unit (a sparse stream's last partial batch). */
  default Batches finish() throws Exception {
    return Batches.NONE;
  }

  /** Frees the stream's memory; called once, last. */
  @Override
  void close();
}
