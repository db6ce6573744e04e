package dev.labelflight.flight.call;

import org.apache.arrow.flight.FlightProducer.ServerStreamListener;

/**
 * One family of DoGet tickets, {@code PREFIX/REST}: how it is written (for the error on an unknown
 * ticket), where it is served (the job or dataset it names, see {@link #homeKey}), whether it counts
 * against the caller's stream limits, and what serves it here.
 */
public record TicketSpec(String prefix, String usage, Home home, boolean counted, Stream stream) {

  /** Serves the rest of the ticket (after the prefix) to {@code listener}; may block (runs on the stream pool). */
  @FunctionalInterface
  public interface Stream {
    void serve(Call call, String rest, ServerStreamListener listener) throws Exception;
  }

  /**
   * The job id ({@link Home#JOB}: up to the first '/' or '?') or the caller's dataset name ({@link
   * Home#DATASET}: before the last '@') that {@code rest} names; null if it names none.
   */
  public String homeKey(String rest) {
    return switch (home) {
      case HERE -> null;
      case JOB -> rest.split("[/?]", 2)[0];
      case DATASET -> rest.lastIndexOf('@') > 0 ? rest.substring(0, rest.lastIndexOf('@')) : null;
    };
  }
}
