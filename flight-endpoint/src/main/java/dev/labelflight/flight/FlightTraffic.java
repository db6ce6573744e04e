package dev.labelflight.flight;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.arrow.flight.CallHeaders;
import org.apache.arrow.flight.CallInfo;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightMethod;
import org.apache.arrow.flight.FlightServerMiddleware;
import org.apache.arrow.flight.RequestContext;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Flight calls by method (counted by a server middleware as each call starts) and Arrow bytes received by
 * DoPut and sent by DoGet (counted by the producer per record batch). Thread-safe; read by metrics.
 */
public final class FlightTraffic implements FlightServerMiddleware.Factory<FlightServerMiddleware> {
  /** The middleware's key on the Flight server. */
  static final FlightServerMiddleware.Key<FlightServerMiddleware> KEY = FlightServerMiddleware.Key.of("labelflight-traffic");

  private static final FlightServerMiddleware NOTHING_MORE = new FlightServerMiddleware() {
    @Override
    public void onBeforeSendingHeaders(CallHeaders outgoingHeaders) {}

    @Override
    public void onCallCompleted(CallStatus status) {}

    @Override
    public void onCallErrored(Throwable err) {}
  };

  private final Map<FlightMethod, LongAdder> calls = new EnumMap<>(FlightMethod.class);
  private final LongAdder bytesIn = new LongAdder();
  private final LongAdder bytesOut = new LongAdder();

  public FlightTraffic() {
    for (FlightMethod m : FlightMethod.values()) {
      calls.put(m, new LongAdder());
    }
  }

  @Override
  public FlightServerMiddleware onCallStarted(CallInfo info, CallHeaders incomingHeaders, RequestContext context) {
    calls.get(info.method()).increment();
    return NOTHING_MORE;
  }

  /** Calls of one method since start. */
  public long calls(FlightMethod method) {
    return calls.get(method).sum();
  }

  /** Arrow buffer bytes received by DoPut since start. */
  public long bytesIn() {
    return bytesIn.sum();
  }

  /** Arrow buffer bytes sent by DoGet since start. */
  public long bytesOut() {
    return bytesOut.sum();
  }

  public void received(VectorSchemaRoot batch) {
    bytesIn.add(size(batch));
  }

  public void sent(VectorSchemaRoot batch) {
    bytesOut.add(size(batch));
  }

  private static long size(VectorSchemaRoot batch) {
    long bytes = 0;
    for (FieldVector v : batch.getFieldVectors()) {
      bytes += v.getBufferSize();
    }
    return bytes;
  }
}
