package dev.labelflight.verticles.labels;

import dev.labelflight.engine.error.LabelFlightException;
import io.vertx.core.json.JsonObject;
import java.util.regex.Pattern;

/**
 * A job ended without all its labels (failed or cancelled), as its results' reader sees it: the job's own
 * error with the job among the details. Its kind is the one the job's status names ({@code errorKind},
 * with {@code errorDetails}) when it names one; else CANCELLED for a cancelled job, INVALID_ARGUMENT when
 * an LF failed on the data (the error names it), INTERNAL otherwise. The failure itself was logged where
 * it happened, so transports need not log it again.
 */
public final class JobEndedException extends LabelFlightException {
  private static final Pattern NAMES_AN_LF = Pattern.compile("\\bLF '[^']+'");

  private JobEndedException(Kind kind, String message) {
    super(kind, message);
  }

  /** The error for job {@code job} from its final status ({@code state}, {@code error}, optional {@code errorKind}, {@code errorDetails}). */
  public static JobEndedException of(String job, JsonObject status) {
    String state = status.getString("state");
    String why = status.getString("error", state.toLowerCase());
    Kind kind;
    if (status.getValue("errorKind") instanceof String named && isKind(named)) {
      kind = Kind.valueOf(named);
    } else if ("CANCELLED".equals(state)) {
      kind = Kind.CANCELLED;
    } else if (NAMES_AN_LF.matcher(why).find()) {
      kind = Kind.INVALID_ARGUMENT;
    } else {
      kind = Kind.INTERNAL;
    }
    JobEndedException e = new JobEndedException(kind, "job " + job + " " + state.toLowerCase() + ": " + why);
    if (status.getValue("errorDetails") instanceof JsonObject details) {
      details.forEach(entry -> e.withDetail(entry.getKey(), entry.getValue()));
    }
    e.withDetail(Detail.JOB, job);
    return e;
  }

  private static boolean isKind(String name) {
    for (Kind k : Kind.values()) {
      if (k.name().equals(name)) {
        return true;
      }
    }
    return false;
  }
}
