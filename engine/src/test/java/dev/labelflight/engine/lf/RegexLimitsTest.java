package dev.labelflight.engine.lf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Detail;
import dev.labelflight.engine.testing.TestAllocators;
import dev.labelflight.engine.testing.TextChunks;
import java.util.Arrays;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;

/** The regex bounds: program size at compile time, steps of the slow engines at run time. */
class RegexLimitsTest {

  static String regexLf(String name, String pattern) {
    return "[{\"name\":\"" + name + "\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"" + pattern
        + "\",\"label\":\"SPAM\"}]";
  }

  /**
   * Verifies that {@code ((a{100}){100}){100}} (a million instructions once expanded; it held a worker for
   * minutes) is refused when the LF compiles, with INVALID_ARGUMENT naming the LF, the limit and its value.
   */
  @Test
  void patternOverTheProgramSizeIsRefusedAtCompileTime() {
    LabelFlightException e = assertThrows(LabelFlightException.class, () -> new LfCompiler(LfLimits.DEFAULT)
        .compile(LfCompilerTest.specs(regexLf("redos", "((a{100}){100}){100}")), LfCompilerTest.LABELS,
            TextChunks.SCHEMA));
    assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains("LF 'redos' (regex)"), e.getMessage());
    assertTrue(e.getMessage().contains("limits.maxRegexProgramSize") && e.getMessage().contains("100000"),
        e.getMessage());
    assertEquals("redos", e.details().get(Detail.LF));
    assertEquals("regex", e.details().get(Detail.LF_KIND));
    assertEquals("pattern", e.details().get(Detail.FIELD));
    assertEquals(100_000L, ((Number) e.details().get(Detail.LIMIT)).longValue());
    assertTrue(((Number) e.details().get(Detail.REQUESTED)).longValue() > 100_000L, e.details().toString());

    // The same pattern one level less deep is within the limit.
    new LfCompiler(LfLimits.DEFAULT).compile(uncheckedSpecs(regexLf("ok", "(a{100}){100}")), LfCompilerTest.LABELS,
        TextChunks.SCHEMA);
  }

  /**
   * Verifies that a pattern the lazy DFA cannot hold (its cache thrashes on runs of a's) and that costs the
   * slow engine thousands of steps per byte fails the LF with RESOURCE_EXHAUSTED naming the LF and
   * {@code limits.regexStepsPerByte}, instead of holding the worker.
   */
  @Test
  void slowEngineStepsPastTheBudgetFailTheLf() throws Exception {
    LfLimits limits = LfLimits.DEFAULT.withRegexLimits(LfLimits.DEFAULT_MAX_REGEX_PROGRAM_SIZE, 50);
    CompiledLfSet set = new LfCompiler(limits).compile(LfCompilerTest.specs(regexLf("slow", "(a{100}){100}b")),
        LfCompilerTest.LABELS, TextChunks.SCHEMA);
    // Long runs of a's: the DFA's states (sets of up to 10,000 positions) outgrow its cache within a row.
    String[] rows = new String[40];
    Arrays.fill(rows, "a".repeat(5000));
    try (RootAllocator allocator = TestAllocators.root(); VectorSchemaRoot chunk = TextChunks.of(allocator, rows)) {
      LabelFlightException e = assertThrows(LabelFlightException.class, () -> set.evaluate(chunk));
      assertEquals(LabelFlightException.Kind.RESOURCE_EXHAUSTED, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains("LF 'slow' (regex)"), e.getMessage());
      assertTrue(e.getMessage().contains("limits.regexStepsPerByte"), e.getMessage());
      assertEquals("slow", e.details().get(Detail.LF));
      assertEquals("regex", e.details().get(Detail.LF_KIND));
      assertEquals(50L, ((Number) e.details().get(Detail.LIMIT)).longValue());
    }
  }

  private static java.util.List<LfSpec> uncheckedSpecs(String json) {
    try {
      return LfCompilerTest.specs(json);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
