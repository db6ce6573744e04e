package dev.labelflight.flight.call;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.verticles.bus.BusErrors;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps LabelFlight errors to Flight statuses with the message intact. */
public final class FlightErrors {
  private static final Logger LOG = LoggerFactory.getLogger(FlightErrors.class);

  private FlightErrors() {}

  public static FlightRuntimeException toFlight(Throwable error) {
    if (error instanceof FlightRuntimeException f) {
      return f;
    }
    LabelFlightException e = BusErrors.toLabelFlight(error);
    CallStatus status = switch (e.kind()) {
      case INVALID_ARGUMENT -> CallStatus.INVALID_ARGUMENT;
      case NOT_FOUND -> CallStatus.NOT_FOUND;
      case ALREADY_EXISTS -> CallStatus.ALREADY_EXISTS;
      case RESOURCE_EXHAUSTED -> CallStatus.RESOURCE_EXHAUSTED;
      case CANCELLED -> CallStatus.CANCELLED;
      case UNAVAILABLE -> CallStatus.UNAVAILABLE;
      case TIMED_OUT -> CallStatus.TIMED_OUT;
      case INTERNAL -> CallStatus.INTERNAL;
    };
    if (e.kind() == LabelFlightException.Kind.INTERNAL) {
      LOG.warn("internal error", error);
    }
    return status.withDescription(e.getMessage()).withCause(error).toRuntimeException();
  }
}
