package dev.labelflight.engine.lf;

import dev.labelflight.engine.cancel.CancelToken;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A numeric LF: the column's value compared with a threshold or range. Every operator is turned at
 * compile time into an inclusive range (or its complement), so the loop is one comparison pair per row;
 * integer columns get integer bounds, so no precision is lost on int64. Nulls and NaN abstain.
 */
final class NumericThreshold implements LfEvaluator {
  private final String column;
  private final int slot;
  private final byte label;
  private final double lo;
  private final double hi;
  private final long loLong;
  private final long hiLong;
  private final boolean negate;

  /** Operators accepted in the {@code op} field. */
  static final java.util.List<String> OPERATORS = java.util.List.of("<", "<=", ">", ">=", "==", "!=", "between");

  NumericThreshold(String column, int slot, byte label, String op, double value, double min, double max) {
    this.column = column;
    this.slot = slot;
    this.label = label;
    double l = Double.NEGATIVE_INFINITY;
    double h = Double.POSITIVE_INFINITY;
    boolean inclusiveLo = true;
    boolean inclusiveHi = true;
    boolean neg = false;
    switch (op) {
      case "<" -> { h = value; inclusiveHi = false; }
      case "<=" -> h = value;
      case ">" -> { l = value; inclusiveLo = false; }
      case ">=" -> l = value;
      case "==" -> { l = value; h = value; }
      case "!=" -> { l = value; h = value; neg = true; }
      case "between" -> { l = min; h = max; }
      default -> throw new IllegalArgumentException(op);
    }
    // Float comparisons: exclusive bounds become the next representable double.
    this.lo = inclusiveLo ? l : Math.nextUp(l);
    this.hi = inclusiveHi ? h : Math.nextDown(h);
    // Integer comparisons: x < 2.5 <=> x <= 2, x > 2.5 <=> x >= 3, x < 3 <=> x <= 2.
    this.loLong = l == Double.NEGATIVE_INFINITY ? Long.MIN_VALUE
        : inclusiveLo ? saturate(Math.ceil(l)) : saturate(Math.floor(l) + 1);
    this.hiLong = h == Double.POSITIVE_INFINITY ? Long.MAX_VALUE
        : inclusiveHi ? saturate(Math.floor(h)) : saturate(Math.ceil(h) - 1);
    this.negate = neg;
  }

  private static long saturate(double d) {
    if (d >= 0x1p63) {
      return Long.MAX_VALUE;
    }
    if (d < -0x1p63) {
      return Long.MIN_VALUE;
    }
    return (long) d;
  }

  /** The compile hook of {@link LfKind#NUMERIC}. */
  static void compile(LfSpec spec, int slot, LfSetBuilder set) {
    String column = set.column(spec, LfFields.NUMBER_COLUMN).getName();
    String op = spec.string(LfFields.OP);
    byte label = set.code(spec);
    if (op.equals("between")) {
      double min = spec.number(LfFields.MIN);
      double max = spec.number(LfFields.MAX);
      if (min > max) {
        throw spec.invalid("min", "'min' is greater than 'max'");
      }
      set.add(new NumericThreshold(column, slot, label, op, 0, min, max));
    } else {
      set.add(new NumericThreshold(column, slot, label, op, spec.number(LfFields.VALUE), 0, 0));
    }
  }

  @Override
  public int[] slots() {
    return new int[] {slot};
  }

  /**
   * Labels the chunk in one pass per column type. Cancellation is checked once per chunk: a pass over a
   * chunk's numbers takes well under a millisecond.
   */
  @Override
  public void evaluate(VectorSchemaRoot chunk, byte[][] out) {
    CancelToken.check();
    FieldVector vector = chunk.getVector(column);
    byte[] labels = out[slot];
    int rows = chunk.getRowCount();
    // Values and validity are bulk-copied into arrays once per chunk: the loops below then run without
    // Arrow's per-access bounds, reference-count and null checks.
    byte[] validity = vector.getNullCount() == 0 ? null : validity(vector, rows);
    ByteBuffer data = vector.getDataBuffer().nioBuffer(0, (int) vector.getDataBuffer().capacity())
        .order(ByteOrder.LITTLE_ENDIAN);
    if (vector instanceof Float8Vector) {
      double[] v = new double[rows];
      data.asDoubleBuffer().get(v);
      for (int i = 0; i < rows; i++) {
        if (inRange(v[i]) && isValid(validity, i)) {
          labels[i] = label;
        }
      }
    } else if (vector instanceof Float4Vector) {
      float[] v = new float[rows];
      data.asFloatBuffer().get(v);
      for (int i = 0; i < rows; i++) {
        if (inRange(v[i]) && isValid(validity, i)) {
          labels[i] = label;
        }
      }
    } else if (vector instanceof BigIntVector) {
      long[] v = new long[rows];
      data.asLongBuffer().get(v);
      for (int i = 0; i < rows; i++) {
        if (inRange(v[i]) && isValid(validity, i)) {
          labels[i] = label;
        }
      }
    } else if (vector instanceof IntVector) {
      int[] v = new int[rows];
      data.asIntBuffer().get(v);
      for (int i = 0; i < rows; i++) {
        if (inRange(v[i]) && isValid(validity, i)) {
          labels[i] = label;
        }
      }
    } else if (vector instanceof SmallIntVector) {
      short[] v = new short[rows];
      data.asShortBuffer().get(v);
      for (int i = 0; i < rows; i++) {
        if (inRange(v[i]) && isValid(validity, i)) {
          labels[i] = label;
        }
      }
    } else if (vector instanceof TinyIntVector) {
      byte[] v = new byte[rows];
      data.get(v);
      for (int i = 0; i < rows; i++) {
        if (inRange(v[i]) && isValid(validity, i)) {
          labels[i] = label;
        }
      }
    } else {
      throw new IllegalStateException("column '" + column + "' is not numeric: " + vector.getField());
    }
  }

  private static byte[] validity(FieldVector vector, int rows) {
    byte[] bits = new byte[(rows + 7) >>> 3];
    vector.getValidityBuffer().getBytes(0, bits);
    return bits;
  }

  private static boolean isValid(byte[] validity, int row) {
    return validity == null || (validity[row >>> 3] & (1 << (row & 7))) != 0;
  }

  private boolean inRange(double x) {
    if (Double.isNaN(x)) {
      return false;
    }
    return (x >= lo && x <= hi) != negate;
  }

  private boolean inRange(long x) {
    return (x >= loLong && x <= hiLong) != negate;
  }
}
