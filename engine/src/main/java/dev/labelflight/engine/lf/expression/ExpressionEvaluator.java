package dev.labelflight.engine.lf.expression;

import dev.cel.common.CelErrorCode;
import dev.cel.common.types.CelType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfEvaluator;
import dev.labelflight.engine.lf.LfRowException;
import dev.labelflight.engine.lf.TextColumn;
import dev.labelflight.engine.lf.VectorColumn;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Runs a compiled expression LF over a chunk: through its {@link Columnar} plan when it has one, else row
 * by row in the CEL interpreter. Rows where a column the expression reads is null abstain. A row where
 * evaluation fails (division by zero, overflow, a class index out of range, ...) fails the LF with an
 * {@link LfRowException} naming the row, unless the LF is fault tolerant: it then writes
 * {@link LabelSpace#FAULT} there (an abstain that is counted). Exceeding the comprehension budget or the
 * per-chunk deadline fails the LF with a LabelFlightException naming it, tolerant or not.
 */
final class ExpressionEvaluator implements LfEvaluator {

  private final String name;
  private final int slot;
  private final byte label;
  private final int classes;
  private final CelRuntime.Program program;
  private final Columnar.Node plan;
  private final List<String> read;
  private final Map<String, CelType> types;
  private final long deadlineNanos;
  private final boolean faultTolerant;

  ExpressionEvaluator(String name, int slot, byte label, int classes, CelRuntime.Program program,
      Columnar.Node plan, List<String> read, Map<String, CelType> types, long deadlineMs, boolean faultTolerant) {
    this.name = name;
    this.slot = slot;
    this.label = label;
    this.classes = classes;
    this.program = program;
    this.plan = plan;
    this.read = List.copyOf(read);
    this.types = Map.copyOf(types);
    this.deadlineNanos = deadlineMs * 1_000_000L;
    this.faultTolerant = faultTolerant;
  }

  /** True when the expression runs as columnar operations rather than in the interpreter. */
  boolean isColumnar() {
    return plan != null;
  }

  @Override
  public int[] slots() {
    return new int[] {slot};
  }

  @Override
  public void evaluate(VectorSchemaRoot chunk, byte[][] out) {
    if (plan != null) {
      evaluateColumnar(chunk, out[slot]);
    } else {
      evaluateInterpreted(chunk, out[slot]);
    }
  }

  private boolean[] nullRows(ChunkColumns columns) {
    boolean[] skip = new boolean[columns.rows()];
    for (String column : read) {
      FieldVector v = columns.vector(column);
      if (v.getNullCount() == 0) {
        continue;
      }
      for (int i = 0; i < skip.length; i++) {
        skip[i] |= v.isNull(i);
      }
    }
    return skip;
  }

  void evaluateColumnar(VectorSchemaRoot chunk, byte[] labels) {
    ChunkColumns columns = new ChunkColumns(chunk);
    boolean[] skip = nullRows(columns);
    Columnar.Values v = plan.eval(columns);
    int rows = columns.rows();
    RowResolver row = null;
    for (int i = 0; i < rows; i++) {
      if (skip[i]) {
        continue;
      }
      if (v.err(i)) {
        if (!faultTolerant) {
          // The plan only flags the row; the interpreter says what went wrong there.
          row = row != null ? row : new RowResolver(columns);
          row.row = i;
          String reason = "evaluation failed";
          try {
            program.eval(row::find);
          } catch (CelEvaluationException e) {
            reason = e.getMessage();
          }
          throw new LfRowException(name, "expression", i, reason);
        }
        labels[i] = LabelSpace.FAULT;
        continue;
      }
      if (label != LabelSpace.ABSTAIN) {
        if (v.bools[i] != 0) {
          labels[i] = label;
        }
      } else {
        labels[i] = classIndex(v.ints[i], i);
      }
    }
  }

  void evaluateInterpreted(VectorSchemaRoot chunk, byte[] labels) {
    ChunkColumns columns = new ChunkColumns(chunk);
    boolean[] skip = nullRows(columns);
    RowResolver row = new RowResolver(columns);
    long start = System.nanoTime();
    int rows = columns.rows();
    for (int i = 0; i < rows; i++) {
      // Every row: a row may cost up to comprehensionMaxIterations steps, and a clock read is tiny beside it.
      if (System.nanoTime() - start > deadlineNanos) {
        throw new LabelFlightException(LabelFlightException.Kind.TIMED_OUT, "LF '" + name
            + "' (expression): exceeded the deadline of " + deadlineNanos / 1_000_000 + " ms for one chunk after "
            + i + " of " + rows + " rows; simplify the expression or raise limits.expressionChunkDeadlineMs");
      }
      if (skip[i]) {
        continue;
      }
      row.row = i;
      Object result;
      try {
        result = program.eval(row::find);
      } catch (CelEvaluationException e) {
        if (e.getErrorCode() == CelErrorCode.ITERATION_BUDGET_EXCEEDED) {
          throw LabelFlightException.invalid("LF '" + name + "' (expression): " + e.getMessage());
        }
        labels[i] = fault(i, e.getMessage());
        continue;
      }
      if (label != LabelSpace.ABSTAIN) {
        if (Boolean.TRUE.equals(result)) {
          labels[i] = label;
        }
      } else {
        labels[i] = classIndex((Long) result, i);
      }
    }
  }

  private byte classIndex(long value, int row) {
    if (value < -1 || value >= classes) {
      return fault(row, "returned " + value + ", which is neither a class index 0.." + (classes - 1)
          + " nor -1 (abstain)");
    }
    return (byte) value;
  }

  /** A row the expression fails on: {@link LabelSpace#FAULT} if the LF is fault tolerant, else the LF fails. */
  private byte fault(int row, String reason) {
    if (!faultTolerant) {
      throw new LfRowException(name, "expression", row, reason);
    }
    return LabelSpace.FAULT;
  }

  /** Resolves column names to the current row's value; decodes only what the expression reads. */
  private final class RowResolver {
    private final ChunkColumns columns;
    int row;

    RowResolver(ChunkColumns columns) {
      this.columns = columns;
    }

    Optional<Object> find(String column) {
      CelType type = types.get(column);
      if (type == null) {
        return Optional.empty();
      }
      if (SimpleType.STRING.equals(type)) {
        TextColumn t = columns.text(column);
        int from = t.offsets[row];
        return Optional.of(new String(t.data, from, t.offsets[row + 1] - from, StandardCharsets.UTF_8));
      }
      if (SimpleType.INT.equals(type)) {
        return Optional.of(columns.ints(column)[row]);
      }
      if (SimpleType.DOUBLE.equals(type)) {
        return Optional.of(columns.doubles(column)[row]);
      }
      if (SimpleType.BOOL.equals(type)) {
        return Optional.of(columns.bools(column)[row] != 0);
      }
      VectorColumn v = columns.vectors(column);
      List<Double> list = new ArrayList<>(v.dimension);
      for (int k = 0, base = row * v.dimension; k < v.dimension; k++) {
        list.add((double) v.data[base + k]);
      }
      return Optional.of(list);
    }
  }
}
