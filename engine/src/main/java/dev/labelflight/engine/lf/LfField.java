package dev.labelflight.engine.lf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.store.ColumnTypes;
import java.util.List;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * One field of an LF kind, as the registry ({@link LfKind}) declares it: its JSON name, value type,
 * whether it is required (always, or when another field has one of some values), its default, and its
 * constraints (choices; for a column, the column types it accepts). {@link LfSpec} reads fields through
 * their declaration, so the type check, the default and the error naming the field are in one place.
 */
public record LfField(String name, Type type, boolean required, Condition requiredWhen, Object defaultValue,
    List<String> choices, List<ColumnType> columnTypes, String doc) {

  /** The value types of LF fields (their JSON names in {@link #json}). */
  public enum Type {
    STRING("string"), BOOLEAN("boolean"), NUMBER("number"), INTEGER("integer"), STRING_LIST("string[]"),
    /** Strings or integers (as the column: utf8 or int). */
    VALUE_LIST("(string|integer)[]"),
    VECTOR("number[]"), VECTOR_LIST("number[][]"),
    /** A JSON object of string values (a Python LF's imports: package to version). */
    STRING_MAP("{string: string}"),
    /** One of {@link LfField#choices}. */
    CHOICE("choice"),
    /** The name of a dataset column of one of {@link LfField#columnTypes}. */
    COLUMN("column"),
    /** The name of one of the job's classes. */
    LABEL("label");

    private final String json;

    Type(String json) {
      this.json = json;
    }

    public String json() {
      return json;
    }
  }

  /** The column types a column field accepts. */
  public enum ColumnType {
    TEXT("text"), NUMBER("a number"), INTEGER("integer"), FLOAT_VECTOR("fixed_size_list<float32>");

    private final String words;

    ColumnType(String words) {
      this.words = words;
    }

    /** The types meant, as an error message says them ("text", "a number", ...). */
    public String words() {
      return words;
    }

    public boolean accepts(Field field) {
      ArrowType type = field.getType();
      return switch (this) {
        case TEXT -> ColumnTypes.isText(type);
        case NUMBER -> ColumnTypes.isNumber(type);
        case INTEGER -> type instanceof ArrowType.Int;
        case FLOAT_VECTOR -> ColumnTypes.isFloatVector(field);
      };
    }
  }

  /** "Field {@link #field} has one of {@link #values}" (or none of them, when {@link #negated}). */
  public record Condition(String field, List<String> values, boolean negated) {
    boolean holds(LfSpec spec) {
      JsonNode v = spec.json().get(field);
      boolean in = v != null && v.isTextual() && values.contains(v.asText());
      return in != negated;
    }
  }

  public LfField {
    choices = choices == null ? List.of() : List.copyOf(choices);
    columnTypes = columnTypes == null ? List.of() : List.copyOf(columnTypes);
  }

  static LfField required(String name, Type type, String doc) {
    return new LfField(name, type, true, null, null, null, null, doc);
  }

  static LfField optional(String name, Type type, Object defaultValue, String doc) {
    return new LfField(name, type, false, null, defaultValue, null, null, doc);
  }

  static LfField choice(String name, List<String> choices, String defaultValue, String doc) {
    return new LfField(name, Type.CHOICE, defaultValue == null, null, defaultValue, choices, null, doc);
  }

  static LfField column(String doc, ColumnType... types) {
    return new LfField("column", Type.COLUMN, true, null, null, null, List.of(types), doc);
  }

  /** This field, required only when {@code field} has one of {@code values}. */
  LfField requiredWhen(String field, List<String> values) {
    return new LfField(name, type, false, new Condition(field, values, false), defaultValue, choices, columnTypes, doc);
  }

  /** This field, required unless {@code field} has one of {@code values}. */
  LfField requiredUnless(String field, List<String> values) {
    return new LfField(name, type, false, new Condition(field, values, true), defaultValue, choices, columnTypes, doc);
  }

  /** Whether {@code spec} must carry this field. */
  boolean requiredIn(LfSpec spec) {
    return required || (requiredWhen != null && requiredWhen.holds(spec));
  }

  /** This declaration as the registry describes it to clients. */
  public ObjectNode describe() {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put("name", name).put("type", type.json()).put("required", required);
    if (requiredWhen != null) {
      ObjectNode when = out.putObject(requiredWhen.negated() ? "requiredUnless" : "requiredWhen");
      when.put("field", requiredWhen.field());
      requiredWhen.values().forEach(when.putArray("in")::add);
    }
    if (defaultValue != null) {
      out.set("default", defaultNode(defaultValue));
    }
    if (!choices.isEmpty()) {
      choices.forEach(out.putArray("choices")::add);
    }
    if (!columnTypes.isEmpty()) {
      columnTypes.forEach(t -> out.withArray("columnTypes").add(t.name().toLowerCase(java.util.Locale.ROOT)));
    }
    out.put("doc", doc);
    return out;
  }

  private static JsonNode defaultNode(Object value) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (value instanceof Boolean b) {
      return f.booleanNode(b);
    }
    if (value instanceof Number n) {
      return f.numberNode(n.doubleValue());
    }
    return f.textNode(value.toString());
  }
}
