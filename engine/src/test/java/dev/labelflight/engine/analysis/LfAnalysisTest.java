package dev.labelflight.engine.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.testing.TestAllocators;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

class LfAnalysisTest {
  /** Snorkel's docstring matrix, rows [-1,0,0] [-1,-1,-1] [1,0,-1] [-1,0,-1] [0,0,0], held by LF. */
  private static final byte[][] DOC = {
      {-1, -1, 1, -1, 0},
      {0, -1, 0, 0, 0},
      {0, -1, -1, -1, 0}};
  private static final List<String> NAMES = List.of("a", "b", "c");

  private static LfSummary analyse(byte[][] labels, byte[] gold, int... splits) {
    LfAnalysis analysis = new LfAnalysis(List.of("a", "b", "c").subList(0, labels.length), 2, gold != null);
    int start = 0;
    int rows = labels[0].length;
    int[] ends = new int[splits.length + 1];
    System.arraycopy(splits, 0, ends, 0, splits.length);
    ends[splits.length] = rows;
    for (int end : ends) {
      byte[][] part = new byte[labels.length][];
      for (int j = 0; j < labels.length; j++) {
        part[j] = java.util.Arrays.copyOfRange(labels[j], start, end);
      }
      analysis.add(new LabelChunk(start, end - start, part),
          gold == null ? null : java.util.Arrays.copyOfRange(gold, start, end));
      start = end;
    }
    return analysis.summary();
  }

  /** Verifies that the per-LF numbers and totals equal the values worked out by hand (and in Snorkel's docs). */
  @Test
  void handComputedMatrix() {
    LfSummary s = analyse(DOC, new byte[] {0, 1, 1, 0, 0});
    assertEquals(5, s.rows());
    assertArrayEquals(new int[] {0, 1}, s.polarity()[0]);
    assertArrayEquals(new int[] {0}, s.polarity()[1]);
    assertArrayEquals(new double[] {0.4, 0.8, 0.4}, s.coverage());
    assertArrayEquals(new double[] {0.4, 0.6, 0.4}, s.overlaps());
    assertArrayEquals(new double[] {0.2, 0.2, 0.0}, s.conflicts());
    assertArrayEquals(new long[] {2, 3, 2}, s.correct());
    assertArrayEquals(new long[] {0, 1, 0}, s.incorrect());
    assertArrayEquals(new double[] {1.0, 0.75, 1.0}, s.empAcc());
    assertEquals(0.8, s.totalCoverage());
    assertEquals(0.6, s.totalOverlap());
    assertEquals(0.2, s.totalConflict());
  }

  /** Verifies that splitting the matrix into chunks anywhere gives exactly the same summary. */
  @Test
  void chunkingDoesNotChangeResults() {
    byte[] gold = {0, 1, 1, 0, 0};
    LfSummary whole = analyse(DOC, gold);
    for (int[] splits : new int[][] {{1}, {2, 3}, {1, 2, 3, 4}, {0, 5}}) {
      LfSummary parts = analyse(DOC, gold, splits);
      assertEquals(whole.toJson(), parts.toJson());
    }
  }

  /**
   * Verifies Snorkel's treatment of unknown gold (-1): Correct/Incorrect leave those rows out, while the
   * empirical accuracy counts a vote on them as wrong; and that an LF that never votes has accuracy 0.
   */
  @Test
  void unknownGoldAndSilentLf() {
    byte[][] labels = {{1, 1, 0, -1}, {-1, -1, -1, -1}};
    LfAnalysis analysis = new LfAnalysis(List.of("a", "silent"), 2, true);
    analysis.add(new LabelChunk(0, 4, labels), new byte[] {1, -1, 1, 0});
    LfSummary s = analysis.summary();
    assertEquals(1, s.correct()[0]);
    assertEquals(1, s.incorrect()[0]);
    assertEquals(1.0 / 3.0, s.empAcc()[0], 1e-15);
    assertEquals(0.0, s.empAcc()[1]);
    assertEquals(0, s.polarity()[1].length);
    assertEquals(0.0, s.coverage()[1]);
    assertEquals(0.75, s.totalCoverage());
    assertEquals(0.0, s.totalOverlap());
  }

  /** Verifies that without gold the summary has no gold numbers, also in its JSON form. */
  @Test
  void withoutGold() {
    LfSummary s = analyse(DOC, null);
    assertEquals(null, s.correct());
    assertTrue(s.toJson().get("lfs").get(0).get("emp_acc") == null);
    assertEquals("[0,1]", s.toJson().get("lfs").get(0).get("polarity").toString());
  }

  /** Verifies that votes or gold outside the classes are refused with a clear error. */
  @Test
  void refusesOutOfRangeLabels() {
    LfAnalysis analysis = new LfAnalysis(List.of("a"), 2, true);
    LabelFlightException e = assertThrows(LabelFlightException.class,
        () -> analysis.add(new LabelChunk(0, 1, new byte[][] {{2}}), new byte[] {0}));
    assertTrue(e.getMessage().contains("outside"), e.getMessage());
    e = assertThrows(LabelFlightException.class,
        () -> analysis.add(new LabelChunk(10, 1, new byte[][] {{1}}), new byte[] {5}));
    assertTrue(e.getMessage().contains("row 10"), e.getMessage());
  }

  /** Verifies that gold columns of class indexes or class names are read, nulls as -1, and bad ones refused. */
  @Test
  void goldColumns() {
    Schema schema = new Schema(List.of(
        new Field("g", FieldType.nullable(new ArrowType.Int(32, true)), null),
        new Field("name", FieldType.nullable(new ArrowType.Utf8()), null),
        new Field("price", FieldType.nullable(new ArrowType.FloatingPoint(
            org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE)), null)));
    List<String> classes = List.of("HAM", "SPAM");
    try (RootAllocator allocator = TestAllocators.root();
         VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
      IntVector g = (IntVector) root.getVector("g");
      VarCharVector name = (VarCharVector) root.getVector("name");
      g.allocateNew(3);
      name.allocateNew(3);
      g.set(0, 1);
      g.setNull(1);
      g.set(2, 0);
      name.setSafe(0, "SPAM".getBytes());
      name.setSafe(1, "HAM".getBytes());
      name.setNull(2);
      root.setRowCount(3);
      assertArrayEquals(new short[] {1, -1, 0}, new GoldColumn("g", classes, schema).read(root, 0));
      assertArrayEquals(new short[] {1, 0, -1}, new GoldColumn("name", classes, schema).read(root, 0));
      assertThrows(LabelFlightException.class, () -> new GoldColumn("price", classes, schema));
      assertThrows(LabelFlightException.class, () -> new GoldColumn("nope", classes, schema));
      g.set(2, 2);
      LabelFlightException e = assertThrows(LabelFlightException.class,
          () -> new GoldColumn("g", classes, schema).read(root, 100));
      assertTrue(e.getMessage().contains("row 102"), e.getMessage());
      name.setSafe(2, "EGGS".getBytes());
      e = assertThrows(LabelFlightException.class, () -> new GoldColumn("name", classes, schema).read(root, 0));
      assertTrue(e.getMessage().contains("'EGGS'"), e.getMessage());
    }
  }

  /**
   * Verifies that a gold column of large_utf8 class names (pandas 3's default string dtype) is accepted and
   * read like a utf8 one, nulls as unknown, and that an unknown name still fails naming its row.
   */
  @Test
  void largeUtf8GoldColumn() {
    Schema schema = new Schema(List.of(new Field("name", FieldType.nullable(new ArrowType.LargeUtf8()), null)));
    List<String> classes = List.of("HAM", "SPAM");
    try (RootAllocator allocator = TestAllocators.root();
         VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
      LargeVarCharVector name = (LargeVarCharVector) root.getVector("name");
      name.allocateNew(3);
      name.setSafe(0, "SPAM".getBytes());
      name.setNull(1);
      name.setSafe(2, "HAM".getBytes());
      name.setValueCount(3);
      root.setRowCount(3);
      assertArrayEquals(new short[] {1, -1, 0}, new GoldColumn("name", classes, schema).read(root, 0));
      name.setSafe(2, "EGGS".getBytes());
      LabelFlightException e = assertThrows(LabelFlightException.class,
          () -> new GoldColumn("name", classes, schema).read(root, 10));
      assertTrue(e.getMessage().contains("row 12"), e.getMessage());
    }
  }
}
