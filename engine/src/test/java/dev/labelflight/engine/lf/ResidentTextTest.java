package dev.labelflight.engine.lf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.testing.TestAllocators;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A resident chunk's kept text: built in the background, never on a job's thread, the same labels either way. */
class ResidentTextTest {
  private RootAllocator allocator;

  @BeforeEach
  void setUp() {
    allocator = TestAllocators.root();
  }

  @AfterEach
  void tearDown() {
    allocator.close();
  }

  /** {@link TextSignaturesTest}'s chunk: reviews with non-ASCII words, case changes and short words. */
  private VectorSchemaRoot chunk() {
    TextSignaturesTest fixture = new TextSignaturesTest();
    fixture.allocator = allocator;
    return fixture.chunk();
  }

  /** Every set of {@link TextSignaturesTest#SETS}, and all of them at once. */
  private static List<String> sets() {
    List<String> all = new ArrayList<>(TextSignaturesTest.SETS);
    all.add(String.join(",", TextSignaturesTest.SETS));
    return all;
  }

  /**
   * Verifies that a job evaluating a resident chunk whose text is not built yet builds nothing itself (no
   * kept copy, no index, no heap allowance taken on its thread): it copies per evaluation, as the queue does.
   */
  @Test
  void aJobBeforeTheBuildBuildsNothingOnItsThread() throws Exception {
    LfCompiler compiler = new LfCompiler(LfLimits.DEFAULT);
    HeapAllowance heap = new HeapAllowance(1L << 30);
    try (VectorSchemaRoot chunk = chunk()) {
      ResidentText kept = new ResidentText(chunk, heap);
      for (String set : sets()) {
        CompiledLfSet compiled = compiler.compile(LfCompilerTest.specs("[" + set + "]"), TextSignaturesTest.LABELS,
            TextSignaturesTest.SCHEMA);
        assertArrayEquals(compiled.evaluate(chunk), compiled.evaluate(chunk, null, kept), set);
        assertEquals(0, kept.bytes(), "nothing kept by the job's evaluation: " + set);
        assertEquals(0, heap.used(), "no heap allowance taken by the job's evaluation: " + set);
      }
      kept.close();
    }
  }

  /**
   * Verifies that every LF set labels a resident chunk cell for cell the same before its text is built
   * (per-evaluation copies, no index), after (kept copy, signatures, word index), and on a fresh copy.
   */
  @Test
  void labelsAreTheSameBeforeAndAfterTheBuild() throws Exception {
    LfCompiler compiler = new LfCompiler(LfLimits.DEFAULT);
    HeapAllowance heap = new HeapAllowance(1L << 30);
    try (VectorSchemaRoot chunk = chunk()) {
      ResidentText kept = new ResidentText(chunk, heap);
      List<CompiledLfSet> compiled = new ArrayList<>();
      List<byte[][]> before = new ArrayList<>();
      for (String set : sets()) {
        CompiledLfSet c = compiler.compile(LfCompilerTest.specs("[" + set + "]"), TextSignaturesTest.LABELS,
            TextSignaturesTest.SCHEMA);
        compiled.add(c);
        before.add(c.evaluate(chunk, null, kept));
      }
      assertTrue(kept.wanted(), "the jobs asked for the text column");
      int built = 0;
      while (kept.buildNext(() -> { })) {
        built++;
      }
      assertEquals(1, built, "one text column");
      assertTrue(kept.built());
      VarCharVector text = (VarCharVector) chunk.getVector(0);
      assertNotNull(kept.column(text).signatures(), "kept with its signatures");
      assertNotNull(kept.column(text).words(), "and its word index");
      assertTrue(heap.used() >= kept.bytes() && kept.bytes() > 0, heap.used() + " reserved for " + kept.bytes());
      List<String> sets = sets();
      for (int s = 0; s < sets.size(); s++) {
        byte[][] after = compiled.get(s).evaluate(chunk, null, kept);
        byte[][] fresh = compiled.get(s).evaluate(chunk);
        assertEquals(before.get(s).length, after.length);
        for (int lf = 0; lf < after.length; lf++) {
          assertArrayEquals(before.get(s)[lf], after[lf], "LF " + lf + " of " + sets.get(s));
          assertArrayEquals(fresh[lf], after[lf], "LF " + lf + " of " + sets.get(s));
        }
      }
      kept.close();
      assertEquals(0, heap.used());
    }
  }

  /** Verifies that the columns jobs ask for are built first, the others after. */
  @Test
  void columnsJobsAskForAreBuiltFirst() {
    try (VectorSchemaRoot chunk = new ReviewsGenerator(3).batch(0, 500, allocator)) {
      ResidentText kept = new ResidentText(chunk, new HeapAllowance(1L << 30));
      var text = chunk.getVector("text");
      var source = chunk.getVector("source");
      assertFalse(kept.wanted());
      assertNull(kept.column(source), "not built yet");
      assertTrue(kept.wanted());
      assertTrue(kept.buildNext(() -> { }));
      assertNotNull(kept.column(source), "asked for, so built first (after 'text' in the schema)");
      assertNull(kept.column(text));
      assertFalse(kept.built());
      assertTrue(kept.buildNext(() -> { }));
      assertNotNull(kept.column(text));
      assertFalse(kept.buildNext(() -> { }), "nothing left");
      kept.close();
    }
  }

  /**
   * Verifies that a build cancelled midway (the copy is dropped) publishes nothing and gives its heap
   * allowance back, as does closing the text while a build runs; and that a column that does not fit the
   * allowance is given up without taking any of it.
   */
  @Test
  void cancelledOrClosedBuildsHoldNothing() {
    HeapAllowance heap = new HeapAllowance(1L << 30);
    try (VectorSchemaRoot chunk = chunk()) {
      VarCharVector text = (VarCharVector) chunk.getVector(0);
      ResidentText cancelled = new ResidentText(chunk, heap);
      CancelToken token = CancelToken.create();
      int[] pauses = {0};
      assertThrows(CancelToken.CancelledException.class, () -> token.within(() -> cancelled.buildNext(() -> {
        assertTrue(heap.used() > 0, "the column's bytes are taken before its build starts");
        if (++pauses[0] == 2) {
          token.cancel(CancelToken.Reason.SHUTDOWN, "dropped");
        }
      })));
      assertEquals(0, heap.used(), "a cancelled build gives its bytes back");
      assertNull(cancelled.column(text));
      assertTrue(cancelled.built(), "not tried again");

      ResidentText closed = new ResidentText(chunk, heap);
      boolean[] once = {false};
      assertTrue(closed.buildNext(() -> {
        if (!once[0]) {
          once[0] = true;
          closed.close();
        }
      }));
      assertEquals(0, heap.used(), "closed while building: every byte back");
      assertNull(closed.column(text), "and nothing published");
      assertFalse(closed.buildNext(() -> { }));

      HeapAllowance tight = new HeapAllowance(text.getDataBuffer().writerIndex());
      ResidentText refused = new ResidentText(chunk, tight);
      assertTrue(refused.buildNext(() -> { }));
      assertNull(refused.column(text), "no room: not kept");
      assertEquals(0, tight.used());
      assertTrue(refused.built());
    }
  }
}
