package dev.labelflight.engine.analysis;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.ColumnTypes;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A dataset column of gold labels for a multi-label job: a list of class names per row. A null row is
 * unknown for every class (-1); otherwise each class is 1 when listed, else 0.
 */
public final class MultiLabelGold {
  private final String column;
  private final int classes;
  private final Map<String, Integer> index = new HashMap<>();

  /** Checks that {@code column} exists in {@code schema} as list&lt;utf8&gt;. */
  public MultiLabelGold(String column, List<String> classNames, Schema schema) {
    this.column = column;
    this.classes = classNames.size();
    for (int c = 0; c < classNames.size(); c++) {
      index.putIfAbsent(classNames.get(c), c);
    }
    Field field = schema.getFields().stream().filter(f -> f.getName().equals(column)).findFirst()
        .orElseThrow(() -> LabelFlightException.invalid("gold column '" + column + "' is not in the dataset"));
    if (!(field.getType() instanceof ArrowType.List) || field.getChildren().size() != 1
        || !ColumnTypes.isText(field.getChildren().get(0).getType())) {
      throw LabelFlightException.invalid("gold column '" + column + "' of a multi-label job must be a list of class"
          + " names (list<utf8> or list<large_utf8>), not " + field.getType());
    }
  }

  /** {@code gold[class][row]}: 1, 0 or -1 (unknown) for one dataset chunk. */
  public short[][] read(VectorSchemaRoot chunk, long firstRow) {
    FieldVector vector = chunk.getVector(column);
    if (!(vector instanceof ListVector list)
        || !(list.getDataVector() instanceof VarCharVector || list.getDataVector() instanceof LargeVarCharVector)) {
      throw LabelFlightException.invalid("gold column '" + column + "' is not a list of strings");
    }
    int rows = chunk.getRowCount();
    short[][] gold = new short[classes][rows];
    for (int r = 0; r < rows; r++) {
      if (list.isNull(r)) {
        for (short[] g : gold) {
          g[r] = -1;
        }
        continue;
      }
      int end = list.getOffsetBuffer().getInt((long) (r + 1) * ListVector.OFFSET_WIDTH);
      for (int i = list.getOffsetBuffer().getInt((long) r * ListVector.OFFSET_WIDTH); i < end; i++) {
        FieldVector names = list.getDataVector();
        if (names.isNull(i)) {
          continue;
        }
        byte[] bytes = names instanceof VarCharVector v ? v.get(i) : ((LargeVarCharVector) names).get(i);
        String name = new String(bytes, StandardCharsets.UTF_8);
        Integer c = index.get(name);
        if (c == null) {
          throw LabelFlightException.invalid("gold column '" + column + "' holds '" + name + "' at row "
              + (firstRow + r) + ", which is not one of the job's classes");
        }
        gold[c][r] = 1;
      }
    }
    return gold;
  }
}
