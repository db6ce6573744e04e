package dev.labelflight.engine.derive;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.error.LabelFlightException;
import java.util.Iterator;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The body of a {@code derive}: {@code {dataset, version?, name, kind, column, pattern?, replace?}}. The
 * name must be an identifier (so that CEL expressions can read the column), at most 128 characters.
 */
public record DeriveRequest(String dataset, Integer version, String name, String kind, String column, String pattern,
    boolean replace) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> FIELDS = Set.of("dataset", "version", "name", "kind", "column", "pattern", "replace");
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  public static DeriveRequest parse(String body) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw LabelFlightException.invalid("malformed JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw LabelFlightException.invalid("derive body must be a JSON object");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!FIELDS.contains(field)) {
        throw LabelFlightException.invalid("unknown field '" + field + "' (known: "
            + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
      }
    }
    Integer version = null;
    JsonNode v = root.get("version");
    if (v != null && !v.isNull()) {
      if (!v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > Integer.MAX_VALUE) {
        throw LabelFlightException.invalid("'version' must be a positive integer");
      }
      version = v.asInt();
    }
    String name = text(root, "name", true);
    if (!NAME.matcher(name).matches() || name.equals("row_id")) {
      throw LabelFlightException.invalid("'name' must be an identifier ([A-Za-z_][A-Za-z0-9_]*, at most 128 characters,"
          + " not row_id); got '" + name + "'");
    }
    JsonNode replace = root.get("replace");
    if (replace != null && !replace.isNull() && !replace.isBoolean()) {
      throw LabelFlightException.invalid("'replace' must be true or false");
    }
    return new DeriveRequest(text(root, "dataset", true), version, name, text(root, "kind", true),
        text(root, "column", true), text(root, "pattern", false), replace != null && replace.asBoolean(false));
  }

  private static String text(JsonNode root, String field, boolean required) {
    JsonNode v = root.get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw LabelFlightException.invalid("missing '" + field + "'");
      }
      return null;
    }
    if (!v.isTextual() || (required && v.asText().isEmpty())) {
      throw LabelFlightException.invalid("'" + field + "' must be a non-empty string");
    }
    return v.asText();
  }
}
