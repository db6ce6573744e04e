package dev.labelflight.engine.lf.expression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ColumnarAgreementTest {
  static final Schema SCHEMA = new Schema(List.of(
      new Field("i", FieldType.nullable(new ArrowType.Int(64, true)), null),
      new Field("j", FieldType.notNullable(new ArrowType.Int(32, true)), null),
      new Field("d", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
      new Field("s", FieldType.nullable(new ArrowType.Utf8()), null),
      new Field("t", FieldType.notNullable(new ArrowType.Utf8()), null),
      new Field("b", FieldType.notNullable(new ArrowType.Bool()), null)));
  static final long[] INTS = {0, 1, -1, 2, 3, 7, -7, 100, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1, 1L << 32};
  static final double[] DOUBLES = {0.0, -0.0, 1.5, -2.5, 3.0, 1e300, -1e300, Double.NaN,
      Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 9.223372036854776E18, 7.0};
  static final String[] STRINGS = {"", "a", "abc", "free money", "été", "Ünïcödé 𝄞 text", "http://x.example", "ab",
      "the end!", "b", "x y z"};
  static final String[] LITERALS = {"''", "'a'", "'ab'", "'free'", "'é'", "'𝄞'", "'http://'", "'!'", "'z'"};
  static final String[] PATTERNS = {"'^a'", "'b$'", "'[a-z]+ [a-z]+'", "'é|𝄞'", "'https?://'", "''"};
  static final LabelSpace LABELS = new LabelSpace(List.of("A", "B"));

  RootAllocator allocator;

  @BeforeEach
  void setUp() {
    allocator = TestAllocators.root();
  }

  @AfterEach
  void tearDown() {
    allocator.close();
  }

  private VectorSchemaRoot rows(int n, SplittableRandom r) {
    VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
    root.allocateNew();
    BigIntVector i = (BigIntVector) root.getVector("i");
    IntVector j = (IntVector) root.getVector("j");
    Float8Vector d = (Float8Vector) root.getVector("d");
    VarCharVector s = (VarCharVector) root.getVector("s");
    VarCharVector t = (VarCharVector) root.getVector("t");
    BitVector b = (BitVector) root.getVector("b");
    for (int k = 0; k < n; k++) {
      if (r.nextInt(20) == 0) {
        i.setNull(k);
      } else {
        i.setSafe(k, r.nextBoolean() ? INTS[r.nextInt(INTS.length)] : r.nextLong(-50, 50));
      }
      j.setSafe(k, r.nextInt(-10, 10));
      if (r.nextInt(20) == 0) {
        d.setNull(k);
      } else {
        d.setSafe(k, r.nextBoolean() ? DOUBLES[r.nextInt(DOUBLES.length)] : r.nextDouble(-10, 10));
      }
      if (r.nextInt(20) == 0) {
        s.setNull(k);
      } else {
        s.setSafe(k, STRINGS[r.nextInt(STRINGS.length)].getBytes(StandardCharsets.UTF_8));
      }
      t.setSafe(k, STRINGS[r.nextInt(STRINGS.length)].getBytes(StandardCharsets.UTF_8));
      b.setSafe(k, r.nextInt(2));
    }
    root.setRowCount(n);
    return root;
  }

  /** A random expression of the columnar subset. */
  static final class Generator {
    final SplittableRandom r;

    Generator(SplittableRandom r) {
      this.r = r;
    }

    String pick(String... options) {
      return options[r.nextInt(options.length)];
    }

    String bool(int depth) {
      int choice = r.nextInt(depth <= 0 ? 6 : 11);
      return switch (choice) {
        case 0 -> "(" + integer(depth - 1) + " " + pick("<", "<=", ">", ">=", "==", "!=") + " " + integer(depth - 1) + ")";
        case 1 -> "(" + dbl(depth - 1) + " " + pick("<", "<=", ">", ">=", "==", "!=") + " " + dbl(depth - 1) + ")";
        case 2 -> "(" + pick("i", "j") + " " + pick("<", "<=", ">", ">=") + " " + pick("d", "2.5", "-0.5", "1e19") + ")";
        case 3 -> str() + "." + pick("contains", "startsWith", "endsWith") + "(" + pick(LITERALS) + ")";
        case 4 -> pick("s", "t") + ".matches(" + pick(PATTERNS) + ")";
        case 5 -> pick("b", "true", "false", "(" + str() + " " + pick("==", "!=") + " " + str() + ")",
            "(s in ['a', 'été', ''])", "(i in [0, 1, -7, 9223372036854775807])");
        case 6 -> "!" + bool(depth - 1);
        case 7, 8 -> "(" + bool(depth - 1) + " && " + bool(depth - 1) + ")";
        case 9 -> "(" + bool(depth - 1) + " || " + bool(depth - 1) + ")";
        default -> "(" + bool(depth - 1) + " ? " + bool(depth - 1) + " : " + bool(depth - 1) + ")";
      };
    }

    String integer(int depth) {
      int choice = r.nextInt(depth <= 0 ? 4 : 8);
      return switch (choice) {
        case 0 -> "i";
        case 1 -> "j";
        case 2 -> pick("0", "1", "-1", "3", "9223372036854775807", "-9223372036854775807", "4294967296");
        case 3 -> "size(" + str() + ")";
        case 4, 5 -> "(" + integer(depth - 1) + " " + pick("+", "-", "*", "/", "%") + " " + integer(depth - 1) + ")";
        case 6 -> "-" + integer(depth - 1);
        default -> "(" + bool(depth - 1) + " ? " + integer(depth - 1) + " : " + integer(depth - 1) + ")";
      };
    }

    String dbl(int depth) {
      int choice = r.nextInt(depth <= 0 ? 2 : 5);
      return switch (choice) {
        case 0 -> "d";
        case 1 -> pick("0.0", "-0.0", "1.5", "-2.5", "1e300");
        case 2, 3 -> "(" + dbl(depth - 1) + " " + pick("+", "-", "*", "/") + " " + dbl(depth - 1) + ")";
        default -> "-" + dbl(depth - 1);
      };
    }

    String str() {
      return pick("s", "t", "'ab'", "'été'");
    }
  }

  private ExpressionEvaluator compile(String expr, boolean labelled) {
    // Fault tolerant, so that rows where evaluation fails show as FAULT and both paths must agree on them too.
    ObjectNode json = new ObjectMapper().createObjectNode().put("name", "e").put("kind", "expression").put("expr", expr)
        .put("faultTolerant", true);
    if (labelled) {
      json.put("label", "B");
    }
    return (ExpressionEvaluator) new ExpressionCompiler(LfLimits.DEFAULT)
        .compile(LfSpec.parse(json, 0), 0, labelled ? (byte) 1 : LabelSpace.ABSTAIN, LABELS.size(), SCHEMA);
  }

  /**
   * Verifies that the columnar path and the CEL interpreter give the same labels (and the same failing rows) on every row, for
   * generated expressions of the columnar subset over edge-case data (overflow, NaN, nulls, unicode).
   */
  @Test
  void columnarPathAgreesWithInterpreter() {
    SplittableRandom r = new SplittableRandom(20261124);
    Generator g = new Generator(r);
    int differentFromAbstain = 0;
    try (VectorSchemaRoot root = rows(400, r)) {
      for (int n = 0; n < 250; n++) {
        boolean labelled = n % 5 != 0;
        String expr = labelled ? g.bool(3)
            : "(" + g.bool(2) + " ? 1 : (" + g.bool(2) + " ? 0 : -1))";
        ExpressionEvaluator e = compile(expr, labelled);
        assertTrue(e.isColumnar(), "should take the columnar path: " + expr);
        byte[] columnar = new byte[root.getRowCount()];
        byte[] interpreted = new byte[root.getRowCount()];
        Arrays.fill(columnar, LabelSpace.ABSTAIN);
        Arrays.fill(interpreted, LabelSpace.ABSTAIN);
        e.evaluateColumnar(root, columnar);
        e.evaluateInterpreted(root, interpreted);
        for (int row = 0; row < columnar.length; row++) {
          if (columnar[row] != interpreted[row]) {
            final int at = row;
            assertEquals(interpreted[row], columnar[row], "row " + row + " of " + expr + ": "
                + root.getFieldVectors().stream().map(v -> v.getName() + "=" + v.getObject(at)).toList());
          }
          differentFromAbstain += columnar[row] >= 0 ? 1 : 0;
        }
      }
    }
    assertTrue(differentFromAbstain > 5_000, "expressions should vote often: " + differentFromAbstain);
  }

  /** Verifies that expressions outside the subset still run, through the interpreter. */
  @Test
  void othersFallBackToInterpreter() {
    assertTrue(!compile("[1, 2, 3].exists(x, x == j)", true).isColumnar());
    assertTrue(!compile("string(j) == '1'", true).isColumnar());
    assertTrue(compile("s.contains('a') && i > 2", true).isColumnar());
  }

  /** Compiles {@code expr} under {@code limits} and returns how evaluating it over {@code rows} rows fails. */
  private LabelFlightException failure(String name, String expr, LfLimits limits, int rows) {
    ObjectNode json = new ObjectMapper().createObjectNode().put("name", name).put("kind", "expression")
        .put("label", "B").put("expr", expr);
    var e = new ExpressionCompiler(limits).compile(LfSpec.parse(json, 0), 0, (byte) 1, 2, SCHEMA);
    try (VectorSchemaRoot root = rows(rows, new SplittableRandom(1))) {
      byte[][] out = {new byte[rows]};
      return assertThrows(LabelFlightException.class, () -> e.evaluate(root, out));
    }
  }

  /** Verifies that a comprehension over its iteration budget fails the LF with a clear error. */
  @Test
  void runawayComprehensionFailsItsLf() {
    LabelFlightException ex = failure("loops",
        "[1,2,3,4,5,6,7,8,9,10].all(x, [1,2,3,4,5,6,7,8,9,10].all(y, x * y + j != 1000))",
        new LfLimits(10, 100, 100, 4096, 32, 1000, 50, 30_000), 10);
    assertTrue(ex.getMessage().contains("LF 'loops'"), ex.getMessage());
  }

  /** Verifies that an expression over the per-chunk deadline fails its LF with TIMED_OUT, freeing the worker. */
  @Test
  void deadlineFailsItsLf() {
    LabelFlightException ex = failure("slow", "[1,2,3].exists(x, x == j)",
        new LfLimits(10, 100, 100, 4096, 32, 1000, 10_000, 0), 1000);
    assertEquals(LabelFlightException.Kind.TIMED_OUT, ex.kind());
    assertTrue(ex.getMessage().contains("LF 'slow'") && ex.getMessage().contains("deadline"), ex.getMessage());
  }
}
