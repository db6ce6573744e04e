package dev.labelflight.verticles.bus;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Kind;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.arrow.memory.OutOfMemoryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries typed errors over the event bus: a handler fails a message with a code per {@link Kind};
 * a requester turns any bus failure (TIMEOUT, NO_HANDLERS, RECIPIENT_FAILURE) back into a
 * {@link LabelFlightException}.
 */
public final class BusErrors {
  private static final Logger LOG = LoggerFactory.getLogger(BusErrors.class);

  private BusErrors() {}

  /** Fails the message with the code of the error's kind; unexpected errors are logged and reported as INTERNAL. */
  public static void fail(Message<?> message, Throwable error) {
    LabelFlightException e = toLabelFlight(error);
    if (e.kind() == Kind.INTERNAL) {
      LOG.warn("request on {} failed", message.address(), error);
    }
    message.fail(code(e.kind()), e.getMessage());
  }

  /** The typed form of any failure seen by a requester or a handler. */
  public static LabelFlightException toLabelFlight(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof LabelFlightException e) {
      return e;
    }
    if (t instanceof OutOfMemoryException) {
      return LabelFlightException.exhausted("out of memory budget: " + t.getMessage());
    }
    if (t instanceof ReplyException r) {
      return switch (r.failureType()) {
        case TIMEOUT -> new LabelFlightException(Kind.TIMED_OUT, "no answer in time: " + r.getMessage());
        case NO_HANDLERS -> new LabelFlightException(Kind.UNAVAILABLE, "service not running: " + r.getMessage());
        default -> new LabelFlightException(kind(r.failureCode()), r.getMessage());
      };
    }
    String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return LabelFlightException.internal(message, t);
  }

  static int code(Kind kind) {
    return switch (kind) {
      case INVALID_ARGUMENT -> 400;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS -> 409;
      case RESOURCE_EXHAUSTED -> 429;
      case CANCELLED -> 499;
      case UNAVAILABLE -> 503;
      case TIMED_OUT -> 504;
      case INTERNAL -> 500;
    };
  }

  static Kind kind(int code) {
    return switch (code) {
      case 400 -> Kind.INVALID_ARGUMENT;
      case 404 -> Kind.NOT_FOUND;
      case 409 -> Kind.ALREADY_EXISTS;
      case 429 -> Kind.RESOURCE_EXHAUSTED;
      case 499 -> Kind.CANCELLED;
      case 503 -> Kind.UNAVAILABLE;
      case 504 -> Kind.TIMED_OUT;
      default -> Kind.INTERNAL;
    };
  }
}
