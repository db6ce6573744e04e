package dev.labelflight.flight.call;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.DatasetNames;
import io.vertx.core.json.JsonObject;
import java.io.IOException;

/** Reading DoAction bodies and ticket parts; each bad input is INVALID_ARGUMENT saying what was expected. */
public final class Bodies {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Bodies() {}

  /** The body as a JSON object. */
  public static JsonObject jsonObject(String body) {
    try {
      return new JsonObject(body);
    } catch (RuntimeException e) {
      throw LabelFlightException.invalid("body must be a JSON object: " + e.getMessage());
    }
  }

  /**
   * A string field of a JSON body, or the bare text for {@code job}; null if there is none (the call
   * served here then says what is wrong). Used to find where a call is served, before it is checked.
   */
  public static String fieldOf(String body, String field) {
    String trimmed = body.trim();
    if (!trimmed.startsWith("{")) {
      return field.equals("job") && !trimmed.isEmpty() ? trimmed : null;
    }
    try {
      JsonNode node = JSON.readTree(trimmed);
      return node != null && node.hasNonNull(field) && node.get(field).isTextual() ? node.get(field).asText() : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** A dataset name from {@code {"dataset": name}}, checked. */
  public static String datasetOf(String body) {
    try {
      JsonNode node = JSON.readTree(body);
      if (node != null && node.hasNonNull("dataset") && node.get("dataset").isTextual()) {
        return DatasetNames.validate(node.get("dataset").asText());
      }
    } catch (IOException e) {
      throw LabelFlightException.invalid("malformed JSON: " + e.getMessage());
    }
    throw LabelFlightException.invalid("body must be {\"dataset\": NAME}");
  }

  /** A job id from {@code {"job": id}} or from the bare id. */
  public static String jobOf(String body) {
    String trimmed = body.trim();
    if (trimmed.startsWith("{")) {
      try {
        JsonNode node = JSON.readTree(trimmed);
        if (node.hasNonNull("job") && node.get("job").isTextual()) {
          return LabelStore.validateJobId(node.get("job").asText());
        }
      } catch (IOException e) {
        throw LabelFlightException.invalid("malformed JSON: " + e.getMessage());
      }
      throw LabelFlightException.invalid("body must be {\"job\": ID}");
    }
    return LabelStore.validateJobId(trimmed);
  }

  /** A dataset version, {@code N} or {@code vN}, at least 1. */
  public static int version(String text) {
    try {
      int v = Integer.parseInt(text.startsWith("v") ? text.substring(1) : text);
      if (v < 1) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw LabelFlightException.invalid("'" + text + "' is not a dataset version");
    }
  }
}
