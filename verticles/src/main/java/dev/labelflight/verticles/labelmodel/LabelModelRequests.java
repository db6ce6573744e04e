package dev.labelflight.verticles.labelmodel;

import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/** Checks shared by the analysis and label-model requests: known fields, the job id, integers, a class balance. */
final class LabelModelRequests {
  private LabelModelRequests() {}

  static void checkFields(JsonObject body, Set<String> known, String action) {
    if (body == null) {
      throw LabelFlightException.invalid(action + " body must be a JSON object");
    }
    for (String field : body.fieldNames()) {
      if (!known.contains(field)) {
        throw LabelFlightException.invalid("unknown field '" + field + "' in " + action + " (known: "
            + String.join(", ", known.stream().sorted().toList()) + ")").withDetail(LabelFlightException.Detail.FIELD, field);
      }
    }
  }

  static String jobOf(JsonObject body) {
    Object job = body.getValue("job");
    if (!(job instanceof String s)) {
      throw LabelFlightException.invalid("missing 'job'").withDetail(LabelFlightException.Detail.FIELD, "job");
    }
    return LabelStore.validateJobId(s);
  }

  static long integer(JsonObject body, String field, long min, long max) {
    Object v = body.getValue(field);
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min || ((Number) v).longValue() > max) {
      throw LabelFlightException.invalid("'" + field + "' must be an integer" + (min > Long.MIN_VALUE
          ? " in " + min + ".." + max : "")).withDetail(LabelFlightException.Detail.FIELD, field);
    }
    return ((Number) v).longValue();
  }

  /** {@code classBalance}: a distribution over the classes, or (multi-label) each class's own P(positive). */
  static double[] balance(JsonArray array, int classes, boolean sumsToOne) {
    if (array == null) {
      return null;
    }
    if (array.isEmpty()) {
      throw LabelFlightException.invalid("'classBalance' must be a list of one probability per class");
    }
    double[] balance = new double[array.size()];
    double sum = 0;
    for (int c = 0; c < balance.length; c++) {
      if (!(array.getValue(c) instanceof Number n) || !(n.doubleValue() > 0) || n.doubleValue() > 1
          || (!sumsToOne && n.doubleValue() == 1)) {
        throw LabelFlightException.invalid("'classBalance' entries must be numbers in (0, 1" + (sumsToOne ? "]" : ")"));
      }
      balance[c] = n.doubleValue();
      sum += balance[c];
    }
    if (sumsToOne && Math.abs(sum - 1) > 1e-6) {
      throw LabelFlightException.invalid("'classBalance' must sum to 1, not " + sum);
    }
    if (balance.length != classes) {
      throw LabelFlightException.invalid("'classBalance' has " + balance.length + " entries; the job has " + classes
          + " classes");
    }
    return balance;
  }

  static JsonArray array(double[] values) {
    JsonArray a = new JsonArray();
    for (double v : values) {
      a.add(v);
    }
    return a;
  }
}
