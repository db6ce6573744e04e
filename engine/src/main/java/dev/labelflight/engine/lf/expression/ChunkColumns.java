package dev.labelflight.engine.lf.expression;

import dev.labelflight.engine.lf.TextColumn;
import dev.labelflight.engine.lf.regex.StepBudget;
import dev.labelflight.engine.lf.VectorColumn;
import java.util.HashMap;
import java.util.Map;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FloatingPointVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The columns one expression reads from one chunk, each copied once into a plain array (text as bytes and
 * offsets, integers as long, floats as double, bools as 0/1 bytes) and shared by every reference to it.
 * Null entries hold 0 or the empty string: rows where any read column is null are skipped anyway.
 */
final class ChunkColumns {
  private final VectorSchemaRoot chunk;
  private final StepBudget budget;
  private final Map<String, Object> loaded = new HashMap<>();

  /** {@code budget}: what the slow regex engine may spend on this chunk ({@code matches} behind a thrashing DFA). */
  ChunkColumns(VectorSchemaRoot chunk, StepBudget budget) {
    this.chunk = chunk;
    this.budget = budget;
  }

  StepBudget budget() {
    return budget;
  }

  int rows() {
    return chunk.getRowCount();
  }

  FieldVector vector(String name) {
    return chunk.getVector(name);
  }

  TextColumn text(String name) {
    return (TextColumn) loaded.computeIfAbsent(name, n -> TextColumn.of(chunk.getVector(n)));
  }

  VectorColumn vectors(String name) {
    return (VectorColumn) loaded.computeIfAbsent(name, n -> VectorColumn.of(chunk.getVector(n)));
  }

  long[] ints(String name) {
    return (long[]) loaded.computeIfAbsent(name, n -> {
      BaseIntVector v = (BaseIntVector) chunk.getVector(n);
      FieldVector f = (FieldVector) v;
      long[] out = new long[rows()];
      for (int i = 0; i < out.length; i++) {
        if (!f.isNull(i)) {
          out[i] = v.getValueAsLong(i);
        }
      }
      return out;
    });
  }

  double[] doubles(String name) {
    return (double[]) loaded.computeIfAbsent(name, n -> {
      FloatingPointVector v = (FloatingPointVector) chunk.getVector(n);
      double[] out = new double[rows()];
      for (int i = 0; i < out.length; i++) {
        if (!v.isNull(i)) {
          out[i] = v.getValueAsDouble(i);
        }
      }
      return out;
    });
  }

  byte[] bools(String name) {
    return (byte[]) loaded.computeIfAbsent(name, n -> {
      BitVector v = (BitVector) chunk.getVector(n);
      byte[] out = new byte[rows()];
      for (int i = 0; i < out.length; i++) {
        if (!v.isNull(i)) {
          out[i] = (byte) v.get(i);
        }
      }
      return out;
    });
  }
}
