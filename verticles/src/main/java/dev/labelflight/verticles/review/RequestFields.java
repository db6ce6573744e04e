package dev.labelflight.verticles.review;

import dev.labelflight.engine.error.LabelFlightException;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/** Reads the fields of a bus request body, failing with INVALID_ARGUMENT that names the field. */
final class RequestFields {
  private RequestFields() {}

  static JsonObject body(Message<?> message) {
    Object body = message.body();
    if (body instanceof JsonObject o) {
      return o;
    }
    if (body instanceof String s) {
      try {
        return new JsonObject(s);
      } catch (RuntimeException e) {
        throw LabelFlightException.invalid("request body is not a JSON object: " + e.getMessage());
      }
    }
    if (body == null) {
      return new JsonObject();
    }
    throw LabelFlightException.invalid("request body must be a JSON object");
  }

  static String string(JsonObject request, String field) {
    Object v = request.getValue(field);
    if (!(v instanceof String s) || s.isEmpty()) {
      throw LabelFlightException.invalid("'" + field + "' must be a non-empty string");
    }
    return s;
  }

  static String optionalString(JsonObject request, String field) {
    return request.getValue(field) == null ? null : string(request, field);
  }

  static long integer(JsonObject request, String field, long fallback, long min, long max) {
    Object v = request.getValue(field);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min || ((Number) v).longValue() > max) {
      throw LabelFlightException.invalid("'" + field + "' must be an integer in " + min + ".." + max);
    }
    return ((Number) v).longValue();
  }

  static Integer optionalVersion(JsonObject request) {
    Object v = request.getValue("version");
    return v == null ? null : (int) integer(request, "version", 0, 1, Integer.MAX_VALUE);
  }

  static double number(JsonObject request, String field, double fallback) {
    Object v = request.getValue(field);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
      throw LabelFlightException.invalid("'" + field + "' must be a number");
    }
    return n.doubleValue();
  }
}
