package dev.labelflight.engine.error;

/** Base of the errors LabelFlight reports to clients; {@link #kind()} says how a transport maps it. */
public class LabelFlightException extends RuntimeException {

  /** What went wrong, in terms every transport (Flight, event bus, HTTP) can map. */
  public enum Kind { INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED, INTERNAL, CANCELLED, ALREADY_EXISTS, UNAVAILABLE, TIMED_OUT }

  private final Kind kind;

  public LabelFlightException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public LabelFlightException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public static LabelFlightException invalid(String message) {
    return new LabelFlightException(Kind.INVALID_ARGUMENT, message);
  }

  public static LabelFlightException notFound(String message) {
    return new LabelFlightException(Kind.NOT_FOUND, message);
  }

  public static LabelFlightException exhausted(String message) {
    return new LabelFlightException(Kind.RESOURCE_EXHAUSTED, message);
  }

  public static LabelFlightException internal(String message, Throwable cause) {
    return new LabelFlightException(Kind.INTERNAL, message, cause);
  }
}
