package dev.labelflight.engine.lf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Detail;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One LF as the user wrote it: name, kind and the kind's fields, read from its JSON object. Parsing checks
 * the kind and that every field is one the kind declares ({@link LfKind#fields}); the values are read, with
 * their defaults and type checks, through the declarations ({@link #string(LfField)}, ...). Every error is
 * INVALID_ARGUMENT naming the LF, with the details LF, LF kind and (where one is at fault) field.
 */
public record LfSpec(String name, LfKind kind, ObjectNode json) {
  public static final int MAX_NAME_LENGTH = 128;

  /** Reads an LF object; INVALID_ARGUMENT if name or kind are missing, the kind is unknown or a field is not the kind's. */
  public static LfSpec parse(JsonNode node, int position) {
    if (node == null || !node.isObject()) {
      throw LabelFlightException.invalid("lfs[" + position + "] is not a JSON object");
    }
    JsonNode name = node.get("name");
    if (name == null || !name.isTextual() || name.asText().isBlank()) {
      throw LabelFlightException.invalid("lfs[" + position + "] has no 'name'").withDetail(Detail.FIELD, "name");
    }
    String n = name.asText();
    if (n.length() > MAX_NAME_LENGTH) {
      throw LabelFlightException.invalid("LF name '" + n.substring(0, 32) + "...' is longer than " + MAX_NAME_LENGTH)
          .withDetail(Detail.FIELD, "name").withDetail(Detail.LIMIT, MAX_NAME_LENGTH)
          .withDetail(Detail.REQUESTED, n.length()).withDetail(Detail.UNIT, "chars");
    }
    if (n.equals("row_id")) {
      throw LabelFlightException.invalid("LF name 'row_id' is reserved for the row id column")
          .withDetail(Detail.LF, n).withDetail(Detail.FIELD, "name");
    }
    JsonNode kind = node.get("kind");
    if (kind == null || !kind.isTextual()) {
      throw LabelFlightException.invalid("LF '" + n + "': missing 'kind'").withDetail(Detail.LF, n)
          .withDetail(Detail.FIELD, "kind");
    }
    LfKind k = LfKind.of(kind.asText()).orElseThrow(() -> LabelFlightException.invalid("LF '" + n + "': unknown kind '"
        + kind.asText() + "' (known: " + String.join(", ", LfKind.ids()) + ")").withDetail(Detail.LF, n)
        .withDetail(Detail.FIELD, "kind"));
    LfSpec spec = new LfSpec(n, k, (ObjectNode) node);
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (k.field(field).isEmpty()) {
        throw spec.invalid(field, "unknown field '" + field + "' (a " + k + " LF has: "
            + String.join(", ", k.fields().stream().map(LfField::name).toList()) + ")");
      }
    }
    return spec;
  }

  /** INVALID_ARGUMENT naming this LF, with the details LF and LF kind. */
  public LabelFlightException invalid(String problem) {
    return LabelFlightException.invalid("LF '" + name + "' (" + kind + "): " + problem)
        .withDetail(Detail.LF, name).withDetail(Detail.LF_KIND, kind.id());
  }

  /** INVALID_ARGUMENT naming this LF and {@code field}. */
  public LabelFlightException invalid(String field, String problem) {
    return invalid(problem).withDetail(Detail.FIELD, field);
  }

  /** INVALID_ARGUMENT naming this LF, {@code field} and the limit it passed. */
  public LabelFlightException overLimit(String field, String problem, long limit, long requested, String unit) {
    return invalid(field, problem).withDetail(Detail.LIMIT, limit).withDetail(Detail.REQUESTED, requested)
        .withDetail(Detail.UNIT, unit);
  }

  /** The field's value, null if absent (or JSON null) and not required; INVALID_ARGUMENT if required and absent. */
  private JsonNode value(LfField field) {
    JsonNode v = json.get(field.name());
    if (v == null || v.isNull()) {
      if (field.requiredIn(this)) {
        throw invalid(field.name(), "missing '" + field.name() + "'");
      }
      return null;
    }
    return v;
  }

  /** A string or choice field (its default when absent). */
  public String string(LfField field) {
    JsonNode v = value(field);
    if (v == null) {
      return (String) field.defaultValue();
    }
    if (!v.isTextual()) {
      throw invalid(field.name(), "'" + field.name() + "' must be a string");
    }
    String s = v.asText();
    if (!field.choices().isEmpty() && !field.choices().contains(s)) {
      List<String> choices = field.choices();
      throw invalid(field.name(), choices.size() == 2
          ? "'" + field.name() + "' must be '" + choices.get(0) + "' or '" + choices.get(1) + "'; got '" + s + "'"
          : "unknown " + field.name() + " '" + s + "' (known: " + String.join(", ", choices) + ")");
    }
    return s;
  }

  /** A boolean field (its default when absent). */
  public boolean bool(LfField field) {
    JsonNode v = value(field);
    if (v == null) {
      return (Boolean) field.defaultValue();
    }
    if (!v.isBoolean()) {
      throw invalid(field.name(), "'" + field.name() + "' must be true or false");
    }
    return v.asBoolean();
  }

  /** A number field: finite; its default (NaN if none) when absent. */
  public double number(LfField field) {
    JsonNode v = value(field);
    if (v == null) {
      return field.defaultValue() == null ? Double.NaN : ((Number) field.defaultValue()).doubleValue();
    }
    if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
      throw invalid(field.name(), "'" + field.name() + "' must be a number");
    }
    return v.asDouble();
  }

  /** An integer field (a JSON number with no fraction); required. */
  public long integer(LfField field) {
    JsonNode v = value(field);
    if (v == null) {
      return ((Number) field.defaultValue()).longValue();
    }
    if (!v.isNumber() || v.asDouble() != Math.rint(v.asDouble()) || !v.canConvertToLong()) {
      throw invalid(field.name(), "'" + field.name() + "' must be a whole number");
    }
    return v.asLong();
  }

  /** A non-empty list of non-empty strings. */
  public List<String> strings(LfField field) {
    JsonNode v = value(field);
    if (v == null || !v.isArray() || v.isEmpty()) {
      throw invalid(field.name(), "'" + field.name() + "' must be a non-empty list of strings");
    }
    List<String> out = new ArrayList<>(v.size());
    for (JsonNode item : v) {
      if (!item.isTextual() || item.asText().isEmpty()) {
        throw invalid(field.name(), "'" + field.name() + "' must hold non-empty strings only");
      }
      out.add(item.asText());
    }
    return out;
  }

  /** The raw JSON of a field (null when absent and not required), for kinds that check structured values. */
  public JsonNode raw(LfField field) {
    return value(field);
  }

  /** Whether the spec carries the field (with a value other than null). */
  public boolean has(LfField field) {
    JsonNode v = json.get(field.name());
    return v != null && !v.isNull();
  }
}
