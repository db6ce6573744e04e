package dev.labelflight.engine.labelmatrix;

import dev.labelflight.engine.error.CorruptDataException;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A slice of a label matrix held column by column: {@code labels[lf][row]} for rows
 * {@code firstRow .. firstRow + rows - 1} ({@code -1} = abstain). What analysis and label models consume.
 */
public record LabelChunk(long firstRow, int rows, byte[][] labels) {

  public int lfs() {
    return labels.length;
  }

  /** Copies a label chunk as stored by the label store ({@code row_id} then one int8 column per LF). */
  public static LabelChunk of(VectorSchemaRoot root) {
    int rows = root.getRowCount();
    var vectors = root.getFieldVectors();
    if (vectors.isEmpty() || !(vectors.get(0) instanceof BigIntVector rowId)) {
      throw new CorruptDataException("label chunk does not start with an int64 row_id column");
    }
    byte[][] labels = new byte[vectors.size() - 1][];
    for (int lf = 0; lf < labels.length; lf++) {
      FieldVector v = vectors.get(lf + 1);
      if (!(v instanceof TinyIntVector column)) {
        throw new CorruptDataException("label column '" + v.getName() + "' is not int8");
      }
      labels[lf] = new byte[rows];
      column.getDataBuffer().getBytes(0, labels[lf], 0, rows);
    }
    return new LabelChunk(rows == 0 ? 0 : rowId.get(0), rows, labels);
  }
}
