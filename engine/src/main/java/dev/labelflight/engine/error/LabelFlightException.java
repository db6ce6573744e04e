package dev.labelflight.engine.error;

/**
 * Base of the errors LabelFlight reports to clients; {@link #kind()} says how a transport maps it and
 * {@link #details()} carries the structured facts a client acts on without parsing the message (the keys
 * of {@link Detail}: the LF at fault, the dataset row, the limit passed, ...). Transports send both: a
 * Flight status carries the details as JSON in its metadata, a bus failure in its reply.
 */
public class LabelFlightException extends RuntimeException {

  /** Well-known keys of {@link #details()}; transports pass any other key through as well. */
  public static final class Detail {
    /** The LF at fault (its name). */
    public static final String LF = "lf";
    /** The LF's kind ({@code regex}, {@code expression}, ...). */
    public static final String LF_KIND = "lfKind";
    /** The row id (0-based position in the dataset version) at fault. */
    public static final String ROW = "row";
    /** The limit that was passed (a number, in the unit {@link #UNIT} names). */
    public static final String LIMIT = "limit";
    /** What was asked for, in the unit of {@link #LIMIT}. */
    public static final String REQUESTED = "requested";
    /** The unit of {@link #LIMIT} and {@link #REQUESTED} ({@code bytes}, {@code chars}, {@code ms}, ...). */
    public static final String UNIT = "unit";
    /** The request field at fault. */
    public static final String FIELD = "field";
    /** The dataset named by the request, as the caller named it. */
    public static final String DATASET = "dataset";
    /** The job named by the request. */
    public static final String JOB = "job";

    private Detail() {}
  }

  /** What went wrong, in terms every transport (Flight, event bus, HTTP) can map. */
  public enum Kind { INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED, INTERNAL, CANCELLED, ALREADY_EXISTS, UNAVAILABLE, TIMED_OUT }

  private final Kind kind;
  private final java.util.Map<String, Object> details = new java.util.LinkedHashMap<>();

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

  /** Adds a structured fact (see {@link Detail}); returns this exception. Values: strings, numbers, booleans. */
  public LabelFlightException withDetail(String key, Object value) {
    if (value != null) {
      details.put(key, value);
    }
    return this;
  }

  /** The structured facts of this error, in insertion order (read-only view). */
  public java.util.Map<String, Object> details() {
    return java.util.Collections.unmodifiableMap(details);
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
