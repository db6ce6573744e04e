package dev.labelflight.engine.lf.expression;

import dev.cel.common.CelErrorCode;
import dev.cel.common.types.CelType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelEvaluationListener;
import dev.cel.runtime.CelRuntime;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Detail;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfEvaluator;
import dev.labelflight.engine.lf.LfKind;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfRowException;
import dev.labelflight.engine.lf.regex.StepBudget;
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
 * {@link LabelSpace#FAULT} there (an abstain that is counted). The reason given is what kind of failure it
 * was ({@link #reason}), never CEL's own message, which may quote the row's values. Exceeding the
 * comprehension budget, the per-chunk deadline or the regex step budget fails the LF with a
 * LabelFlightException naming it, tolerant or not. The interpreter checks the thread's cancel token before
 * every row (a row may cost up to {@code comprehensionMaxIterations} steps), the columnar plan in each node
 * and every {@link Columnar#CHECK_ROWS} rows of its text loops.
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
  private final long stepsPerByte;
  private final boolean faultTolerant;

  ExpressionEvaluator(String name, int slot, byte label, int classes, CelRuntime.Program program,
      Columnar.Node plan, List<String> read, Map<String, CelType> types, LfLimits limits, boolean faultTolerant) {
    this.name = name;
    this.slot = slot;
    this.label = label;
    this.classes = classes;
    this.program = program;
    this.plan = plan;
    this.read = List.copyOf(read);
    this.types = Map.copyOf(types);
    this.deadlineNanos = limits.expressionChunkDeadlineMs() * 1_000_000L;
    this.stepsPerByte = limits.regexStepsPerByte();
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

  /** The columns of {@code chunk}, with the step budget of its {@code matches} (the text of its string columns). */
  private ChunkColumns columns(VectorSchemaRoot chunk) {
    long textBytes = 0;
    for (String column : read) {
      if (SimpleType.STRING.equals(types.get(column))) {
        textBytes += chunk.getVector(column).getBufferSize();
      }
    }
    return new ChunkColumns(chunk, StepBudget.perByte(stepsPerByte, textBytes));
  }

  void evaluateColumnar(VectorSchemaRoot chunk, byte[] labels) {
    ChunkColumns columns = columns(chunk);
    boolean[] skip = nullRows(columns);
    Columnar.Values v;
    try {
      v = plan.eval(columns);
    } catch (StepBudget.Exhausted e) {
      throw new LabelFlightException(LabelFlightException.Kind.RESOURCE_EXHAUSTED, "LF '" + name + "' (expression): "
          + "matches() needed more than limits.regexStepsPerByte = " + stepsPerByte + " steps per byte of a chunk's "
          + "text (" + e.steps() + " steps on this chunk); simplify its pattern")
          .withDetail(Detail.LF, name).withDetail(Detail.LF_KIND, LfKind.EXPRESSION.id())
          .withDetail(Detail.LIMIT, stepsPerByte).withDetail(Detail.UNIT, "steps per byte");
    }
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
            reason = reason(e);
          } catch (RuntimeException e) {
            reason = reason(e);
          }
          throw new LfRowException(name, LfKind.EXPRESSION, i, reason);
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
    ChunkColumns columns = columns(chunk);
    boolean[] skip = nullRows(columns);
    RowResolver row = new RowResolver(columns);
    CancelWatch watch = new CancelWatch();
    long start = System.nanoTime();
    int rows = columns.rows();
    for (int i = 0; i < rows; i++) {
      // Every row: a row may cost up to comprehensionMaxIterations steps, and a clock read is tiny beside it.
      CancelToken.check();
      if (System.nanoTime() - start > deadlineNanos) {
        throw new LabelFlightException(LabelFlightException.Kind.TIMED_OUT, "LF '" + name
            + "' (expression): exceeded the deadline of limits.expressionChunkDeadlineMs = " + deadlineNanos / 1_000_000
            + " ms for one chunk after " + i + " of " + rows + " rows; simplify the expression or raise the limit")
            .withDetail(Detail.LF, name).withDetail(Detail.LF_KIND, LfKind.EXPRESSION.id())
            .withDetail(Detail.LIMIT, deadlineNanos / 1_000_000).withDetail(Detail.UNIT, "ms");
      }
      if (skip[i]) {
        continue;
      }
      row.row = i;
      Object result;
      try {
        result = program.trace(row::find, watch);
      } catch (CelEvaluationException e) {
        if (e.getCause() instanceof CancelToken.CancelledException cancelled) {
          throw cancelled;
        }
        if (e.getErrorCode() == CelErrorCode.ITERATION_BUDGET_EXCEEDED) {
          throw LabelFlightException.invalid("LF '" + name + "' (expression): a comprehension ran past "
              + "limits.comprehensionMaxIterations on a row; simplify the expression or raise the limit")
              .withDetail(Detail.LF, name).withDetail(Detail.LF_KIND, LfKind.EXPRESSION.id())
              .withDetail(Detail.FIELD, "expr");
        }
        labels[i] = fault(i, reason(e));
        continue;
      } catch (LabelFlightException e) {
        throw e;
      } catch (RuntimeException e) {
        // Not CEL's own error (a function of the runtime failing): still this row's failure, not the node's.
        labels[i] = fault(i, reason(e));
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
      throw new LfRowException(name, LfKind.EXPRESSION, row, reason);
    }
    return LabelSpace.FAULT;
  }

  private static final java.util.regex.Pattern OFFSET = java.util.regex.Pattern.compile("at <input>:(\\d+)");

  /**
   * What went wrong on a row, from CEL's error code and the offset in the expression; never CEL's message,
   * which quotes values (the text that did not parse as a number, the missing map key, the bad regex).
   */
  static String reason(CelEvaluationException e) {
    String what = switch (e.getErrorCode()) {
      case DIVIDE_BY_ZERO -> "division by zero";
      case NUMERIC_OVERFLOW -> "numeric overflow";
      case INDEX_OUT_OF_BOUNDS -> "index out of bounds";
      case ATTRIBUTE_NOT_FOUND -> "no such key or field";
      case BAD_FORMAT -> "a value could not be converted (bad format)";
      case INVALID_ARGUMENT -> "invalid argument to a function";
      case OVERLOAD_NOT_FOUND, AMBIGUOUS_OVERLOAD -> "no function matches the argument types";
      default -> "evaluation failed (" + e.getErrorCode().name().toLowerCase(java.util.Locale.ROOT) + ")";
    };
    java.util.regex.Matcher at = OFFSET.matcher(String.valueOf(e.getMessage()));
    return at.find() ? what + " at offset " + at.group(1) + " of the expression" : what;
  }

  /** What went wrong on a row when the runtime threw something other than its own error: its type only. */
  static String reason(RuntimeException e) {
    return "evaluation failed (" + e.getClass().getSimpleName() + ")";
  }

  /**
   * Checks the thread's cancel token every {@link #CALLS} expression nodes the interpreter evaluates: a
   * single row may iterate a comprehension many thousand times. CEL wraps what it throws, and the row loop
   * unwraps it. CEL's {@code ||} and {@code &&} hold an error back while the other side may still decide the
   * result (so {@code exists} goes on iterating), so once the token is cancelled every later node throws
   * again, which makes each remaining iteration end at once.
   */
  private static final class CancelWatch implements CelEvaluationListener {
    private static final int CALLS = 4096;
    private int calls;
    private boolean tripped;

    @Override
    public void callback(dev.cel.common.ast.CelExpr expr, Object evaluatedResult) {
      if (tripped || ++calls == CALLS) {
        calls = 0;
        try {
          CancelToken.check();
        } catch (CancelToken.CancelledException e) {
          tripped = true;
          throw e;
        }
      }
    }
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
