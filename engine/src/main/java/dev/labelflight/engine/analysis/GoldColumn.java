package dev.labelflight.engine.analysis;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.ColumnTypes;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A dataset column used as gold labels: integer class indexes ({@code -1} = unknown) or class names in any
 * text type the store keeps ({@code utf8}, or {@code large_utf8} as pandas 3's default string dtype sends;
 * dictionary and view strings are stored as one of these); nulls count as unknown ({@code -1}), as Snorkel's
 * convention for unlabeled gold.
 */
public final class GoldColumn {
  private final String column;
  private final List<String> classes;
  private final java.util.Map<String, Integer> index = new java.util.HashMap<>();

  /** Checks that {@code column} exists in {@code schema} with a usable type. */
  public GoldColumn(String column, List<String> classes, Schema schema) {
    this.column = column;
    this.classes = List.copyOf(classes);
    for (int c = 0; c < classes.size(); c++) {
      index.putIfAbsent(classes.get(c), c);
    }
    var field = schema.getFields().stream().filter(f -> f.getName().equals(column)).findFirst()
        .orElseThrow(() -> LabelFlightException.invalid("gold column '" + column + "' is not in the dataset"));
    ArrowType type = field.getType();
    if (!(type instanceof ArrowType.Int) && !ColumnTypes.isText(type)) {
      throw LabelFlightException.invalid("gold column '" + column + "' must hold integer class indexes or class names, not "
          + type);
    }
  }

  public String name() {
    return column;
  }

  /** The gold labels of one dataset chunk, checked against the classes. */
  public short[] read(VectorSchemaRoot chunk, long firstRow) {
    FieldVector vector = chunk.getVector(column);
    int rows = chunk.getRowCount();
    short[] gold = new short[rows];
    if (vector instanceof BaseIntVector ints) {
      for (int r = 0; r < rows; r++) {
        if (vector.isNull(r)) {
          gold[r] = -1;
          continue;
        }
        long v = ints.getValueAsLong(r);
        if (v < -1 || v >= classes.size()) {
          throw LabelFlightException.invalid("gold column '" + column + "' holds " + v + " at row " + (firstRow + r)
              + "; expected a class index 0.." + (classes.size() - 1) + " or -1");
        }
        gold[r] = (short) v;
      }
    } else if (vector instanceof VarCharVector || vector instanceof LargeVarCharVector) {
      for (int r = 0; r < rows; r++) {
        if (vector.isNull(r)) {
          gold[r] = -1;
          continue;
        }
        byte[] bytes = vector instanceof VarCharVector v ? v.get(r) : ((LargeVarCharVector) vector).get(r);
        String name = new String(bytes, StandardCharsets.UTF_8);
        Integer found = index.get(name);
        if (found == null) {
          throw LabelFlightException.invalid("gold column '" + column + "' holds '" + name + "' at row " + (firstRow + r)
              + ", which is not one of the classes " + classes);
        }
        gold[r] = found.shortValue();
      }
    } else {
      throw LabelFlightException.invalid("gold column '" + column + "' has an unusable type");
    }
    return gold;
  }
}
