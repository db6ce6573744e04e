package dev.labelflight.pyworkers;

import com.fasterxml.jackson.databind.JsonNode;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Detail;
import dev.labelflight.engine.error.LabelFlightException.Kind;

/**
 * Why a chunk failed in a Python process, as the error the job fails with (naming the LF, and the row where
 * there is one) and whether the chunk deserves one more try on a fresh worker (the worker died or passed its
 * memory limit; not when the LF itself raised or returned something wrong, which would only happen again).
 */
record WorkerFailure(LabelFlightException exception, boolean retry) {

  /** A worker's {@code {"kind", "lf", "row"?, "message", "module"?}} error. */
  static WorkerFailure fromReply(JsonNode error, LfSetWorkers set, String kindName, long limitBytes) {
    String kind = error.path("kind").asText("");
    String lf = error.path("lf").isTextual() ? error.path("lf").asText() : set.functions.get(0).name();
    String message = error.path("message").asText("the Python worker failed");
    LabelFlightException e = switch (kind) {
      case "raised" -> LabelFlightException.invalid(message
          + "; set fault_tolerant=True (\"faultTolerant\": true) to abstain on such rows and count them");
      case "memory" -> LabelFlightException.exhausted("LF '" + lf + "' used more than its limit of "
          + (limitBytes >> 20) + " MiB (an allocation failed in the Python worker)")
          .withDetail(Detail.LIMIT, limitBytes).withDetail(Detail.UNIT, "bytes");
      case "forbidden", "protocol" -> LabelFlightException.internal(message, null);
      default -> LabelFlightException.invalid(message);
    };
    e.withDetail(Detail.LF, lf).withDetail(Detail.LF_KIND, kindName);
    if (error.has("row")) {
      e.withDetail(Detail.ROW, error.path("row").asLong());
    }
    if (error.has("module")) {
      e.withDetail("module", error.path("module").asText());
    }
    return new WorkerFailure(e, kind.equals("memory"));
  }

  /** The watchdog killed the worker for using {@code used} bytes more than it started with. */
  static WorkerFailure memory(String lf, long used, long limit) {
    return new WorkerFailure(LabelFlightException.exhausted("LF '" + lf + "' used " + ((used + (1 << 20) - 1) >> 20) + " MiB > limit "
            + (limit >> 20) + " MiB")
        .withDetail(Detail.LF, lf).withDetail(Detail.LF_KIND, "python")
        .withDetail(Detail.REQUESTED, used).withDetail(Detail.LIMIT, limit).withDetail(Detail.UNIT, "bytes"), true);
  }

  /** The worker ran past the time limit. */
  static WorkerFailure timedOut(String lf, long row, long timeoutMs) {
    return new WorkerFailure(new LabelFlightException(Kind.TIMED_OUT, "LF '" + lf + "' (python) ran longer than "
            + timeoutMs + " ms on a chunk (at row " + row + "); its worker was killed")
        .withDetail(Detail.LF, lf).withDetail(Detail.LF_KIND, "python").withDetail(Detail.ROW, row)
        .withDetail(Detail.LIMIT, timeoutMs).withDetail(Detail.UNIT, "ms"), false);
  }

  /** The worker died without a word (a crash in native code, os._exit, a signal). */
  static WorkerFailure died(String lf, long row) {
    return new WorkerFailure(LabelFlightException.invalid("LF '" + lf + "' (python) crashed its worker process on row "
            + row + " (it died without an answer: a crash in native code, os._exit or a signal)")
        .withDetail(Detail.LF, lf).withDetail(Detail.LF_KIND, "python").withDetail(Detail.ROW, row), true);
  }
}
