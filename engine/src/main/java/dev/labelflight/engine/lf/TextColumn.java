package dev.labelflight.engine.lf;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarCharVector;

/**
 * A utf8 or large_utf8 column as one byte array plus row offsets, copied once per chunk so that the
 * matchers' inner loops index plain arrays instead of bounds-checked Arrow buffers.
 */
public final class TextColumn {
  public final byte[] data;
  public final int[] offsets;
  private final ValueVector vector;

  private TextColumn(byte[] data, int[] offsets, ValueVector vector) {
    this.data = data;
    this.offsets = offsets;
    this.vector = vector;
  }

  /** Copies made while a chunk is being evaluated, so its LFs on one column share one copy. */
  private static final ThreadLocal<java.util.Map<ValueVector, TextColumn>> SHARED = new ThreadLocal<>();

  /**
   * Runs {@code work} (one chunk's evaluation) with text copies shared between the evaluators it calls
   * on this thread; the copies are dropped when it returns.
   */
  static <T> T sharing(java.util.function.Supplier<T> work) {
    if (SHARED.get() != null) {
      return work.get();
    }
    SHARED.set(new java.util.IdentityHashMap<>());
    try {
      return work.get();
    } finally {
      SHARED.remove();
    }
  }

  /** The column's bytes and offsets (rebased to 0): copied, or the copy already made for this chunk. */
  public static TextColumn of(ValueVector vector) {
    java.util.Map<ValueVector, TextColumn> shared = SHARED.get();
    return shared == null ? copy(vector) : shared.computeIfAbsent(vector, TextColumn::copy);
  }

  private static TextColumn copy(ValueVector vector) {
    int rows = vector.getValueCount();
    int[] offsets = new int[rows + 1];
    ArrowBuf offsetBuffer = vector.getOffsetBuffer();
    long base;
    long end;
    if (vector instanceof VarCharVector) {
      base = rows == 0 ? 0 : offsetBuffer.getInt(0);
      for (int i = 0; i <= rows && rows > 0; i++) {
        offsets[i] = (int) (offsetBuffer.getInt((long) i * 4) - base);
      }
      end = rows == 0 ? 0 : offsetBuffer.getInt((long) rows * 4);
    } else if (vector instanceof LargeVarCharVector) {
      base = rows == 0 ? 0 : offsetBuffer.getLong(0);
      for (int i = 0; i <= rows && rows > 0; i++) {
        offsets[i] = Math.toIntExact(offsetBuffer.getLong((long) i * 8) - base);
      }
      end = rows == 0 ? 0 : offsetBuffer.getLong((long) rows * 8);
    } else {
      throw new IllegalArgumentException("not a text vector: " + vector.getField());
    }
    byte[] data = new byte[Math.toIntExact(end - base)];
    if (data.length > 0) {
      vector.getDataBuffer().getBytes(base, data, 0, data.length);
    }
    return new TextColumn(data, offsets, vector);
  }

  public boolean isNull(int row) {
    return vector.isNull(row);
  }

  public int rows() {
    return offsets.length - 1;
  }
}
