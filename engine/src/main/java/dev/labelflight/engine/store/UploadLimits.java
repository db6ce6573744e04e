package dev.labelflight.engine.store;

import dev.labelflight.engine.error.LabelFlightException;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Bounds on what one upload batch may hold (config {@code limits.maxBatchBytes} and
 * {@code limits.maxValueBytes}): exceeding one is an INVALID_ARGUMENT naming the limit, the column and the
 * row, and the upload stores nothing. A value is one string or binary cell; the batch size counts every
 * buffer of every column.
 */
public record UploadLimits(long maxBatchBytes, long maxValueBytes) {
  /** No bounds (engine tests, tools). */
  public static final UploadLimits NONE = new UploadLimits(Long.MAX_VALUE, Long.MAX_VALUE);

  public UploadLimits {
    if (maxBatchBytes < 1 || maxValueBytes < 1) {
      throw new IllegalArgumentException("upload limits must be positive: " + maxBatchBytes + ", " + maxValueBytes);
    }
  }

  /** Checks one incoming batch of dataset {@code name}; a single pass over the offsets of variable-width columns. */
  public void check(String name, VectorSchemaRoot batch) {
    long bytes = 0;
    for (FieldVector vector : batch.getFieldVectors()) {
      bytes += vector.getBufferSize();
    }
    if (bytes > maxBatchBytes) {
      throw LabelFlightException.invalid("upload of '" + name + "': a record batch of " + bytes
          + " bytes exceeds limits.maxBatchBytes = " + maxBatchBytes + "; send smaller batches");
    }
    int rows = batch.getRowCount();
    for (FieldVector vector : batch.getFieldVectors()) {
      if (vector instanceof BaseVariableWidthVector v) {
        checkValues(name, v.getName(), v.getOffsetBuffer(), rows, BaseVariableWidthVector.OFFSET_WIDTH);
      } else if (vector instanceof BaseLargeVariableWidthVector v) {
        checkValues(name, v.getName(), v.getOffsetBuffer(), rows, BaseLargeVariableWidthVector.OFFSET_WIDTH);
      }
    }
  }

  private void checkValues(String name, String column, ArrowBuf offsets, int rows, int width) {
    if (rows == 0 || offsets.capacity() < (long) (rows + 1) * width) {
      return;
    }
    long previous = offset(offsets, 0, width);
    for (int row = 0; row < rows; row++) {
      long next = offset(offsets, row + 1, width);
      if (next - previous > maxValueBytes) {
        throw LabelFlightException.invalid("upload of '" + name + "': the value of column '" + column + "' in row "
            + row + " of a batch has " + (next - previous) + " bytes, more than limits.maxValueBytes = "
            + maxValueBytes);
      }
      previous = next;
    }
  }

  private static long offset(ArrowBuf offsets, int index, int width) {
    return width == 4 ? offsets.getInt((long) index * 4) : offsets.getLong((long) index * 8);
  }
}
