package dev.labelflight.engine.labelmatrix;

import dev.labelflight.engine.error.CorruptDataException;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A slice of a label matrix held column by column: {@code labels[lf][row]} for rows
 * {@code firstRow .. firstRow + rows - 1} ({@code -1} = abstain). What analysis and label models consume.
 * Labels are held as shorts whatever the stored width (int8 up to 127 classes, int16 up to 1,000), so
 * consumers need one code path.
 */
public record LabelChunk(long firstRow, int rows, short[][] labels) {

  /** A chunk of int8 labels (tests and callers that hold bytes); widened once. */
  public LabelChunk(long firstRow, int rows, byte[][] labels) {
    this(firstRow, rows, widen(labels));
  }

  public int lfs() {
    return labels.length;
  }

  /** The same rows restricted to the LFs {@code lfs} (in that order); shares the columns, copies nothing. */
  public LabelChunk select(int[] lfs) {
    short[][] columns = new short[lfs.length][];
    for (int i = 0; i < lfs.length; i++) {
      columns[i] = labels[lfs[i]];
    }
    return new LabelChunk(firstRow, rows, columns);
  }

  /**
   * Copies a label chunk as stored by the label store: {@code row_id} then one label column per LF,
   * int8 or int16 (the store picks the width from the number of classes).
   */
  public static LabelChunk of(VectorSchemaRoot root) {
    return of(root, 0, root.getRowCount());
  }

  /**
   * Rows {@code from .. from + rows - 1} of a stored label chunk: lets a reader of many LFs hold a slice
   * of a chunk on its heap rather than the whole chunk.
   */
  public static LabelChunk of(VectorSchemaRoot root, int from, int rows) {
    var vectors = root.getFieldVectors();
    if (vectors.isEmpty() || !(vectors.get(0) instanceof BigIntVector rowId)) {
      throw new CorruptDataException("label chunk does not start with an int64 row_id column");
    }
    short[][] labels = new short[vectors.size() - 1][];
    byte[] bytes = null;
    for (int lf = 0; lf < labels.length; lf++) {
      FieldVector v = vectors.get(lf + 1);
      short[] column = new short[rows];
      if (v instanceof TinyIntVector tiny) {
        if (bytes == null) {
          bytes = new byte[rows];
        }
        tiny.getDataBuffer().getBytes(from, bytes, 0, rows);
        for (int r = 0; r < rows; r++) {
          column[r] = bytes[r];
        }
      } else if (v instanceof SmallIntVector small) {
        var buffer = small.getDataBuffer();
        for (int r = 0; r < rows; r++) {
          column[r] = buffer.getShort((long) (from + r) * SmallIntVector.TYPE_WIDTH);
        }
      } else {
        throw new CorruptDataException("label column '" + v.getName() + "' is neither int8 nor int16");
      }
      labels[lf] = column;
    }
    return new LabelChunk(rows == 0 ? 0 : rowId.get(from), rows, labels);
  }

  private static short[][] widen(byte[][] labels) {
    short[][] out = new short[labels.length][];
    for (int j = 0; j < labels.length; j++) {
      out[j] = new short[labels[j].length];
      for (int r = 0; r < labels[j].length; r++) {
        out[j][r] = labels[j][r];
      }
    }
    return out;
  }
}
