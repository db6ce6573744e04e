package dev.labelflight.flight.call;

import dev.labelflight.flight.stream.StreamBody;

/**
 * One family of DoGet tickets, {@code PREFIX/REST}: how it is written (for the error on an unknown
 * ticket), where it is served (the job or dataset it names, see {@link #homeKey}), whether it counts
 * against the caller's stream limits, and what it streams here.
 */
public record TicketSpec(String prefix, String usage, Home home, boolean counted, Stream stream) {

  /** Opens the stream the rest of the ticket (after the prefix) names; may block (runs on the stream pool). */
  @FunctionalInterface
  public interface Stream {
    StreamBody<?> open(Call call, String rest) throws Exception;
  }

  /**
   * The job id ({@link Home#JOB}: up to the first '/' or '?') or the caller's dataset name ({@link
   * Home#DATASET}: before the last '@') that {@code rest} names; null if it names none.
   */
  public String homeKey(String rest) {
    return switch (home) {
      case HERE -> null;
      case JOB -> rest.split("[/?]", 2)[0];
      case DATASET -> {
        String name = rest.split("\\?", 2)[0];
        yield name.lastIndexOf('@') > 0 ? name.substring(0, name.lastIndexOf('@')) : null;
      }
    };
  }
}
