package dev.labelflight.flight.call;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Detail;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.labels.JobEndedException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.ErrorFlightMetadata;
import org.apache.arrow.flight.FlightRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one mapping from errors to Flight statuses. A status keeps the error's message as its description
 * and carries, in the status metadata {@value #DETAILS_KEY}, the UTF-8 JSON
 * {@code {"code": KIND, "message": ..., "details": {...}}} with {@link LabelFlightException#details()}
 * (pyarrow shows it as {@code FlightError.extra_info}; the Java client as {@code status().metadata()}).
 * Statuses that come from another node keep their JSON. Unexpected errors are logged with their stack
 * trace and answered INTERNAL.
 */
public final class FlightErrors {
  /**
   * The status metadata key of the JSON: the trailer gRPC defines for rich error details, which Arrow's C++
   * transport (under pyarrow) hands to the client as {@code FlightStatusDetail::extra_info}, but only
   * when {@link #ARROW_STATUS_KEY} comes with it.
   */
  public static final String DETAILS_KEY = "grpc-status-details-bin";
  /**
   * Arrow C++'s own trailer with the Arrow status code (decimal). Without it, pyarrow (16 to 26 checked)
   * ignores {@link #DETAILS_KEY} and {@code extra_info} stays empty; with it, pyarrow raises a
   * {@code FlightError} subclass carrying the JSON. The message text stays "Flight returned ... error, with
   * message: ..." (no message trailer is sent).
   */
  public static final String ARROW_STATUS_KEY = "x-arrow-status";
  private static final Logger LOG = LoggerFactory.getLogger(FlightErrors.class);
  /** How LabelFlight's messages name an LF and a row ("LF 'x' (expression) failed on row 12"). */
  private static final Pattern LF = Pattern.compile("\\bLF '([^']+)'");
  private static final Pattern ROW = Pattern.compile("\\bon row (\\d+)\\b");

  private FlightErrors() {}

  public static FlightRuntimeException toFlight(Throwable error) {
    if (error instanceof FlightRuntimeException f) {
      return withDetails(f);
    }
    LabelFlightException e = BusErrors.toLabelFlight(error);
    if (e.kind() == LabelFlightException.Kind.INTERNAL && !(e instanceof JobEndedException)) {
      // A job's own failure was logged where it failed; anything else internal is a fault of this node.
      LOG.warn("internal error: {}", e.getMessage(), e.getCause() != null ? e.getCause() : e);
    }
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
    return status.withDescription(e.getMessage()).withCause(error)
        .withMetadata(metadata(e.kind().name(), e.getMessage(), details(e))).toRuntimeException();
  }

  /** A Flight status of our own or from another node, with the JSON added if it has none (other metadata is dropped). */
  private static FlightRuntimeException withDetails(FlightRuntimeException f) {
    CallStatus status = f.status();
    ErrorFlightMetadata metadata = new ErrorFlightMetadata();
    if (status.metadata() != null && status.metadata().containsKey(DETAILS_KEY)) {
      metadata.insert(DETAILS_KEY, status.metadata().getByte(DETAILS_KEY));
      metadata.insert(ARROW_STATUS_KEY, Integer.toString(arrowStatusCode(status.code().name())));
    } else {
      metadata = metadata(status.code().name(), status.description(), fromMessage(status.description(), Map.of()));
    }
    return new CallStatus(status.code(), status.cause(), status.description(), metadata).toRuntimeException();
  }

  /**
   * The error's details, plus the LF and row its message names when the details lack them (errors raised
   * before details existed, and job failures known by their text only).
   */
  static Map<String, Object> details(LabelFlightException e) {
    return fromMessage(e.getMessage(), e.details());
  }

  private static Map<String, Object> fromMessage(String message, Map<String, Object> details) {
    Map<String, Object> all = new LinkedHashMap<>(details);
    if (message != null && !all.containsKey(Detail.LF)) {
      Matcher lf = LF.matcher(message);
      if (lf.find()) {
        all.put(Detail.LF, lf.group(1));
        Matcher row = ROW.matcher(message);
        if (!all.containsKey(Detail.ROW) && row.find()) {
          all.put(Detail.ROW, Long.parseLong(row.group(1)));
        }
      }
    }
    return all;
  }

  private static ErrorFlightMetadata metadata(String code, String message, Map<String, Object> details) {
    JsonObject json = new JsonObject().put("code", code).put("message", message == null ? "" : message)
        .put("details", new JsonObject(details));
    ErrorFlightMetadata metadata = new ErrorFlightMetadata();
    metadata.insert(DETAILS_KEY, json.encode().getBytes(StandardCharsets.UTF_8));
    metadata.insert(ARROW_STATUS_KEY, Integer.toString(arrowStatusCode(code)));
    return metadata;
  }

  /**
   * The {@code arrow::StatusCode} Arrow C++ gives a gRPC status of this code anyway (Invalid 4, KeyError 2,
   * AlreadyExists 45, Cancelled 8, IOError 5), so that a C++ client's status code does not change.
   */
  private static int arrowStatusCode(String code) {
    return switch (code) {
      case "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED" -> 4;
      case "NOT_FOUND" -> 2;
      case "ALREADY_EXISTS" -> 45;
      case "CANCELLED" -> 8;
      default -> 5;
    };
  }
}
