/**
 * How DoGet streams leave the node without holding a thread while they wait. A handler describes a stream
 * as a {@link dev.labelflight.flight.stream.StreamBody}: its units of work as an RxJava {@code Flowable}
 * (chunk indexes, a job's finished label chunks as they finish) and the batches of each unit.
 * {@link dev.labelflight.flight.stream.FlightSink} drives it: one unit requested at a time, batches sent
 * only while the client can take them ({@code isReady} / {@code onReady}), everything ended once
 * (completed, failed, cancelled by the client, or stalled). {@link dev.labelflight.flight.stream.OpenStreams}
 * bounds the streams per user and per node and cancels stalled ones; {@link dev.labelflight.flight.stream.Streams}
 * puts it together for the producer.
 */
package dev.labelflight.flight.stream;
