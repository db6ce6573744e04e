package dev.labelflight.engine.store;

import dev.labelflight.engine.error.LabelFlightException;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/** Which Arrow column types a dataset may hold, and the check applied to every uploaded schema. */
public final class ColumnTypes {
  public static final int MAX_COLUMNS = 1024;

  private ColumnTypes() {}

  /** Throws INVALID_ARGUMENT naming the first column LabelFlight cannot store. */
  public static void validate(Schema schema) {
    if (schema.getFields().isEmpty()) {
      throw LabelFlightException.invalid("schema has no columns");
    }
    if (schema.getFields().size() > MAX_COLUMNS) {
      throw LabelFlightException.invalid("schema has more than " + MAX_COLUMNS + " columns");
    }
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Field field : schema.getFields()) {
      String name = field.getName();
      if (name == null || name.isEmpty()) {
        throw LabelFlightException.invalid("a column has an empty name");
      }
      if (!seen.add(name)) {
        throw LabelFlightException.invalid("column '" + name + "' appears twice");
      }
      if (field.getDictionary() != null) {
        throw LabelFlightException.invalid("column '" + name + "' is dictionary-encoded, which is not supported yet");
      }
      if (!isSupported(field)) {
        throw LabelFlightException.invalid("column '" + name + "' has unsupported type " + field.getType()
            + " (supported: utf8, large_utf8, int8/16/32/64, float32/64, bool, fixed_size_list<float32>)");
      }
    }
  }

  static boolean isSupported(Field field) {
    ArrowType type = field.getType();
    if (type instanceof ArrowType.Utf8 || type instanceof ArrowType.LargeUtf8 || type instanceof ArrowType.Bool) {
      return true;
    }
    if (type instanceof ArrowType.Int i) {
      return i.getIsSigned();
    }
    if (type instanceof ArrowType.FloatingPoint f) {
      return f.getPrecision() != FloatingPointPrecision.HALF;
    }
    return isFloatVector(field);
  }

  /** True for fixed_size_list&lt;float32&gt;, the type similarity and model LFs read. */
  public static boolean isFloatVector(Field field) {
    return field.getType() instanceof ArrowType.FixedSizeList
        && field.getChildren().size() == 1
        && field.getChildren().get(0).getType() instanceof ArrowType.FloatingPoint fp
        && fp.getPrecision() == FloatingPointPrecision.SINGLE;
  }

  /**
   * True for the reserved names under which the Python client stores a DataFrame's index
   * ({@code __index_level_N__}, described by the schema metadata {@code labelflight.index}): stored and
   * streamed like any column, read by an LF only if it names one, and not shown to the browser as data.
   */
  public static boolean isIndexColumn(String name) {
    return name.startsWith("__index_level_") && name.endsWith("__") && name.length() > "__index_level___".length();
  }

  /** True for the string types keyword and regex LFs read. */
  public static boolean isText(ArrowType type) {
    return type instanceof ArrowType.Utf8 || type instanceof ArrowType.LargeUtf8;
  }

  /** True for the types numeric LFs read. */
  public static boolean isNumber(ArrowType type) {
    return type instanceof ArrowType.Int || type instanceof ArrowType.FloatingPoint;
  }
}
