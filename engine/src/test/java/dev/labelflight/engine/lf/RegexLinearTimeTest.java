package dev.labelflight.engine.lf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.testing.TestAllocators;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * The ReDoS pattern {@code (a+)+$} over {@code aaaa…b}: a backtracking engine takes time exponential in
 * the run of a's; RE2J is linear. Compared by ratio, not by a wall-clock bound: ten times the input may
 * take at most about ten times the CPU time (with a generous factor for noise), where a backtracking
 * engine would take astronomically longer (it would not finish at all at these sizes).
 */
class RegexLinearTimeTest {
  static final Schema SCHEMA = new Schema(List.of(new Field("t", FieldType.nullable(new ArrowType.Utf8()), null)));
  static final int ROWS = 8;

  /** CPU nanoseconds of the best of {@code runs} evaluations of the ReDoS LF over rows of {@code length} a's and a 'b'. */
  private static long bestCpuNanos(CompiledLfSet set, RootAllocator allocator, int length, int runs) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
      VarCharVector t = (VarCharVector) root.getVector("t");
      t.allocateNew((long) ROWS * (length + 1), ROWS);
      byte[] value = ("a".repeat(length) + "b").getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < ROWS; i++) {
        t.setSafe(i, value);
      }
      root.setRowCount(ROWS);
      long best = Long.MAX_VALUE;
      for (int run = 0; run < runs; run++) {
        long start = threads.getCurrentThreadCpuTime();
        byte[][] labels = set.evaluate(root);
        best = Math.min(best, threads.getCurrentThreadCpuTime() - start);
        for (int i = 0; i < ROWS; i++) {
          assertEquals(-1, labels[0][i], "(a+)+$ does not match a string ending in b");
        }
      }
      return best;
    }
  }

  /** Verifies that ten times longer input costs at most about ten times the CPU time (linear, not exponential). */
  @Test
  void redosPatternScalesLinearly() throws Exception {
    try (RootAllocator allocator = TestAllocators.root()) {
      CompiledLfSet set = new LfCompiler(LfLimits.DEFAULT).compile(LfCompilerTest.specs(
              "[{\"name\":\"redos\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"(a+)+$\",\"label\":\"HAM\"}]"),
          LfCompilerTest.LABELS, SCHEMA);
      bestCpuNanos(set, allocator, 50_000, 2); // warm-up: JIT
      long small = bestCpuNanos(set, allocator, 5_000, 5);
      long large = bestCpuNanos(set, allocator, 50_000, 3);
      System.out.printf("(a+)+$ over 8 rows: 5,000 chars %d us, 50,000 chars %d us (CPU, best of runs)%n",
          small / 1_000, large / 1_000);
      // 10x the input: linear gives ~10x; allow 3x noise on top, plus 20 ms for timer granularity.
      assertTrue(large <= 30 * small + 20_000_000L,
          "10x longer input took " + large / 1_000 + " us vs " + small / 1_000 + " us: not linear");
    }
  }
}
