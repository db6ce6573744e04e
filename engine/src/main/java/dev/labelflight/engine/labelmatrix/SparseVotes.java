package dev.labelflight.engine.labelmatrix;

import java.nio.ByteOrder;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The sparse layout of a label matrix: only the votes, as {@code (row_id int64, lf_index int32, label
 * int8|int16)} rows, taken column by column from dense label chunks ({@code row_id} then one label column
 * per LF, -1 = abstain) into batches of at most a given number of votes. Abstentions cost nothing.
 */
public final class SparseVotes {
  public static final String ROW_ID = "row_id";
  public static final String LF_INDEX = "lf_index";
  public static final String LABEL = "label";

  private final VectorSchemaRoot out;
  private final int maxVotes;
  private final BatchSink sink;
  private final BigIntVector rowIds;
  private final IntVector lfIndexes;
  private final FieldVector labels;
  private final boolean int16;
  private static final long SIGNS = 0x8080808080808080L;
  private int size;
  private short[] shorts = new short[0];

  /** Receives each full (or final) batch; returns false to stop. */
  @FunctionalInterface
  public interface BatchSink {
    boolean accept(VectorSchemaRoot batch) throws Exception;
  }

  /** The sparse stream's schema; {@code int16} for jobs of more than 127 classes. */
  public static Schema schema(boolean int16) {
    return new Schema(List.of(
        new Field(ROW_ID, FieldType.notNullable(new ArrowType.Int(64, true)), null),
        new Field(LF_INDEX, FieldType.notNullable(new ArrowType.Int(32, true)), null),
        new Field(LABEL, FieldType.notNullable(new ArrowType.Int(int16 ? 16 : 8, true)), null)));
  }

  /** Fills {@code out} (of {@link #schema}) up to {@code maxVotes} rows at a time and hands it to {@code sink}. */
  public SparseVotes(VectorSchemaRoot out, int maxVotes, BatchSink sink) {
    this.out = out;
    this.maxVotes = maxVotes;
    this.sink = sink;
    this.rowIds = (BigIntVector) out.getVector(0);
    this.lfIndexes = (IntVector) out.getVector(1);
    this.labels = out.getVector(2);
    this.int16 = labels instanceof SmallIntVector;
    rowIds.allocateNew(maxVotes);
    lfIndexes.allocateNew(maxVotes);
    if (labels instanceof SmallIntVector s) {
      s.allocateNew(maxVotes);
    } else {
      ((TinyIntVector) labels).allocateNew(maxVotes);
    }
  }

  /**
   * Adds the votes of one dense label chunk, LF by LF; full batches go to the sink on the way. Returns
   * false if the sink stopped.
   */
  public boolean add(VectorSchemaRoot dense) throws Exception {
    return add(dense, 0, dense.getFieldVectors().size() - 1);
  }

  /**
   * Adds the votes of LFs {@code fromLf} (inclusive) to {@code toLf} (exclusive) of a dense label chunk, so
   * that a caller can pace its batches (one LF column of a chunk at a time fills at most
   * {@code rows / maxVotes + 1} batches). Returns false if the sink stopped.
   */
  public boolean add(VectorSchemaRoot dense, int fromLf, int toLf) throws Exception {
    int rows = dense.getRowCount();
    ArrowBuf ids = ((BigIntVector) dense.getVector(0)).getDataBuffer();
    if (shorts.length < rows) {
      shorts = new short[rows];
    }
    for (int lf = fromLf; lf < toLf; lf++) {
      FieldVector column = dense.getVector(lf + 1);
      boolean wide = column instanceof SmallIntVector;
      if (wide != int16) {
        throw new IllegalArgumentException("label column '" + column.getName() + "' is not "
            + (int16 ? "int16" : "int8"));
      }
      ArrowBuf data = column.getDataBuffer();
      if (wide) {
        // One bulk copy per column, then a plain array scan.
        data.nioBuffer(0, rows * Short.BYTES).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(shorts, 0, rows);
        for (int row = 0; row < rows; row++) {
          if (shorts[row] >= 0 && !vote(ids, row, lf, shorts[row])) {
            return false;
          }
        }
        continue;
      }
      // Eight int8 labels at a time: a word whose eight sign bits are all set holds abstentions only.
      int row = 0;
      for (; row + Long.BYTES <= rows; row += Long.BYTES) {
        long word = data.getLong(row);
        if ((word & SIGNS) == SIGNS) {
          continue;
        }
        for (int k = 0; k < Long.BYTES; k++) {
          byte label = (byte) (word >>> (k * 8));
          if (label >= 0 && !vote(ids, row + k, lf, label)) {
            return false;
          }
        }
      }
      for (; row < rows; row++) {
        byte label = data.getByte(row);
        if (label >= 0 && !vote(ids, row, lf, label)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Adds one vote; returns false if a full batch went to the sink and it stopped. */
  private boolean vote(ArrowBuf ids, int row, int lf, int label) throws Exception {
    rowIds.getDataBuffer().setLong((long) size * Long.BYTES, ids.getLong((long) row * Long.BYTES));
    lfIndexes.getDataBuffer().setInt((long) size * Integer.BYTES, lf);
    if (int16) {
      labels.getDataBuffer().setShort((long) size * Short.BYTES, label);
    } else {
      labels.getDataBuffer().setByte(size, label);
    }
    return ++size < maxVotes || flush();
  }

  /** Sends the votes gathered so far, if any; returns false if the sink stopped. */
  public boolean flush() throws Exception {
    if (size == 0) {
      return true;
    }
    for (FieldVector v : out.getFieldVectors()) {
      v.getValidityBuffer().setOne(0, (size + 7) / 8);
      v.setValueCount(size);
    }
    out.setRowCount(size);
    size = 0;
    return sink.accept(out);
  }
}
