package dev.labelflight.engine.lf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.error.LabelFlightException;
import java.util.ArrayList;
import java.util.List;

/** One LF as the user wrote it: name, kind and the kind's fields, read from its JSON object. */
public record LfSpec(String name, String kind, ObjectNode json) {
  public static final int MAX_NAME_LENGTH = 128;

  /** Reads an LF object; INVALID_ARGUMENT if name or kind are missing. */
  public static LfSpec parse(JsonNode node, int position) {
    if (node == null || !node.isObject()) {
      throw LabelFlightException.invalid("lfs[" + position + "] is not a JSON object");
    }
    JsonNode name = node.get("name");
    if (name == null || !name.isTextual() || name.asText().isBlank()) {
      throw LabelFlightException.invalid("lfs[" + position + "] has no 'name'");
    }
    String n = name.asText();
    if (n.length() > MAX_NAME_LENGTH) {
      throw LabelFlightException.invalid("LF name '" + n.substring(0, 32) + "...' is longer than " + MAX_NAME_LENGTH);
    }
    if (n.equals("row_id")) {
      throw LabelFlightException.invalid("LF name 'row_id' is reserved for the row id column");
    }
    JsonNode kind = node.get("kind");
    if (kind == null || !kind.isTextual()) {
      throw LabelFlightException.invalid("LF '" + n + "': missing 'kind'");
    }
    return new LfSpec(n, kind.asText(), (ObjectNode) node);
  }

  public LabelFlightException invalid(String problem) {
    return LabelFlightException.invalid("LF '" + name + "' (" + kind + "): " + problem);
  }

  public String requiredString(String field) {
    JsonNode v = json.get(field);
    if (v == null || v.isNull()) {
      throw invalid("missing '" + field + "'");
    }
    if (!v.isTextual()) {
      throw invalid("'" + field + "' must be a string");
    }
    return v.asText();
  }

  public String optionalString(String field, String fallback) {
    JsonNode v = json.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isTextual()) {
      throw invalid("'" + field + "' must be a string");
    }
    return v.asText();
  }

  public boolean optionalBoolean(String field, boolean fallback) {
    JsonNode v = json.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isBoolean()) {
      throw invalid("'" + field + "' must be true or false");
    }
    return v.asBoolean();
  }

  public double requiredNumber(String field) {
    JsonNode v = json.get(field);
    if (v == null || v.isNull()) {
      throw invalid("missing '" + field + "'");
    }
    if (!v.isNumber()) {
      throw invalid("'" + field + "' must be a number");
    }
    double d = v.asDouble();
    if (Double.isNaN(d)) {
      throw invalid("'" + field + "' is not a number");
    }
    return d;
  }

  public List<String> requiredStrings(String field) {
    JsonNode v = json.get(field);
    if (v == null || !v.isArray() || v.isEmpty()) {
      throw invalid("'" + field + "' must be a non-empty list of strings");
    }
    List<String> out = new ArrayList<>(v.size());
    for (JsonNode item : v) {
      if (!item.isTextual() || item.asText().isEmpty()) {
        throw invalid("'" + field + "' must hold non-empty strings only");
      }
      out.add(item.asText());
    }
    return out;
  }
}
