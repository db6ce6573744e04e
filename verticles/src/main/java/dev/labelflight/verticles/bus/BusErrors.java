package dev.labelflight.verticles.bus;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Kind;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.memory.OutOfMemoryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries typed errors over the event bus: a handler fails a message with a code per {@link Kind} and
 * the error itself, so that a requester on the same node gets it back whole (kind, message and
 * {@link LabelFlightException#details() details}: LF, row, limit); across nodes the code and message
 * travel (Vert.x's reply codec has no room for more; calls between nodes go over Flight, which carries
 * details in its status). A requester turns any bus failure (TIMEOUT, NO_HANDLERS, RECIPIENT_FAILURE)
 * back into a {@link LabelFlightException}; a timeout names what was asked, never an internal reply address.
 */
public final class BusErrors {
  private static final Logger LOG = LoggerFactory.getLogger(BusErrors.class);
  /** Vert.x's timeout text: "Timed out after waiting N(ms) for a reply. address: __vertx.reply.K, repliedAddress: A". */
  private static final Pattern TIMEOUT = Pattern.compile("waiting (\\d+)\\(ms\\).*repliedAddress: ([\\w.-]+)");

  private BusErrors() {}

  /** Fails the message with the code of the error's kind, keeping the error for a local requester; unexpected errors are logged and reported as INTERNAL. */
  public static void fail(Message<?> message, Throwable error) {
    LabelFlightException e = toLabelFlight(error);
    if (e.kind() == Kind.INTERNAL) {
      LOG.warn("request on {} failed", message.address(), error);
    }
    message.reply(new Failure(e));
  }

  /** A failure reply: the code and message of the error, and the error itself (kept on local delivery only). */
  private static final class Failure extends ReplyException {
    Failure(LabelFlightException error) {
      super(ReplyFailure.RECIPIENT_FAILURE, code(error.kind()), error.getMessage(), error, true);
    }
  }

  /** The typed form of any failure seen by a requester or a handler. */
  public static LabelFlightException toLabelFlight(Throwable error) {
    return toLabelFlight(error, null);
  }

  /**
   * As {@link #toLabelFlight(Throwable)}, with {@code about} (e.g. "job 'x'") naming what the request was
   * about in the message of a timeout.
   */
  public static LabelFlightException toLabelFlight(Throwable error, String about) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof LabelFlightException e) {
      return e;
    }
    if (t instanceof ReplyException r && r.getCause() instanceof LabelFlightException e) {
      return e;
    }
    if (t instanceof OutOfMemoryException) {
      return LabelFlightException.exhausted("out of memory budget: " + t.getMessage());
    }
    if (t instanceof ReplyException r) {
      return switch (r.failureType()) {
        case TIMEOUT -> timedOut(r, about);
        case NO_HANDLERS -> new LabelFlightException(Kind.UNAVAILABLE, "service not running: " + r.getMessage());
        default -> new LabelFlightException(kind(r.failureCode()), r.getMessage());
      };
    }
    String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return LabelFlightException.internal(message, t);
  }

  /** TIMED_OUT naming the service asked (the last part of its address), what about, and the wait. */
  private static LabelFlightException timedOut(ReplyException r, String about) {
    Matcher m = TIMEOUT.matcher(String.valueOf(r.getMessage()));
    String service = m.find() ? m.group(2).substring(m.group(2).lastIndexOf('.') + 1) : null;
    Long waited = service == null ? null : Long.valueOf(m.group(1));
    StringBuilder message = new StringBuilder("no answer");
    if (about != null) {
      message.append(" about ").append(about);
    }
    if (service != null) {
      message.append(" from the node's ").append(service).append(" service within ").append(waited).append(" ms");
    } else {
      message.append(" in time");
    }
    message.append("; the node may be overloaded, retry later");
    LabelFlightException e = new LabelFlightException(Kind.TIMED_OUT, message.toString());
    if (waited != null) {
      e.withDetail(LabelFlightException.Detail.LIMIT, waited).withDetail(LabelFlightException.Detail.UNIT, "ms");
    }
    return e;
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
