package dev.labelflight.engine.lf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.re2j.Pattern;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import dev.labelflight.engine.lf.regex.StepBudget;
import dev.labelflight.engine.lf.regex.UnicodeRegex;
import org.junit.jupiter.api.Test;

class RegexPrefilterTest {

  /** Verifies the literals found for typical patterns, and that unclear constructs give no prefilter. */
  @Test
  void extractsRequiredLiterals() {
    assertEquals(Optional.of(List.of("http")), RegexPrefilter.requiredLiterals("https?://"));
    assertEquals(Optional.of(List.of(" value")), RegexPrefilter.requiredLiterals("(great|excellent) value"));
    assertEquals(Optional.of(List.of("great", "excellent")), RegexPrefilter.requiredLiterals("(great|excellent) (a|b)?"));
    assertEquals(Optional.of(List.of("free", "winner")), RegexPrefilter.requiredLiterals("\\bfree\\b|winner"));
    assertEquals(Optional.of(List.of("www.")), RegexPrefilter.requiredLiterals("www\\.[a-z]+"));
    assertEquals(Optional.of(List.of("ab")), RegexPrefilter.requiredLiterals("ab+c"));
    for (String none : List.of("(a+)+$", "[a-z]+", "(?i)free", "a|", "x?y?", "\\x41bc", "\\Qa.b\\E", ".*", "a|bc")) {
      assertEquals(Optional.empty(), RegexPrefilter.requiredLiterals(none), none);
    }
  }

  /**
   * Verifies on random strings from a small alphabet that prefiltered matching equals the same pattern run
   * on every row by the NFA alone, for many patterns, case-sensitive and not; and equals RE2J for the
   * patterns without a word boundary (RE2J's is ASCII, LabelFlight's Unicode, and the alphabet has é).
   */
  @Test
  void prefilterNeverChangesResults() throws Exception {
    List<String> patterns = List.of("ab", "https?://", "(ab|cd)e", "a(bc)+d", "ab?c", "x{2,3}y", "a.c|dd",
        "(?:ab|ba)[ac]c", "\\.a\\.", "abc$", "^ab", "b+c+", "(a|b)(c|d)ee", "ca{0}b", "ab*", "\\bab\\b",
        "[^a]bc", "a\\sb", "bé", "ÉA");
    String alphabet = "abcdexy.:/ éÉAB";
    SplittableRandom random = new SplittableRandom(99);
    String[] rows = new String[3000];
    for (int i = 0; i < rows.length; i++) {
      StringBuilder sb = new StringBuilder();
      int n = random.nextInt(30);
      for (int j = 0; j < n; j++) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      rows[i] = sb.toString();
    }
    Schema schema = new Schema(List.of(new Field("t", FieldType.nullable(new ArrowType.Utf8()), null)));
    try (RootAllocator allocator = TestAllocators.root();
         VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
      VarCharVector t = (VarCharVector) root.getVector(0);
      t.allocateNew();
      for (int i = 0; i < rows.length; i++) {
        t.setSafe(i, rows[i].getBytes(StandardCharsets.UTF_8));
      }
      root.setRowCount(rows.length);
      int prefiltered = 0;
      for (String p : patterns) {
        for (boolean ci : new boolean[] {false, true}) {
          Pattern compiled = Pattern.compile(p, ci ? Pattern.CASE_INSENSITIVE : 0);
          for (boolean full : new boolean[] {false, true}) {
            RegexMatcher matcher = RegexMatcher.of("t", 0, (byte) 1, compiled, full, 0);
            prefiltered += matcher.hasPrefilter() ? 1 : 0;
            byte[][] out = {new byte[rows.length]};
            java.util.Arrays.fill(out[0], (byte) -1);
            matcher.evaluate(root, out);
            byte[] nfa = new byte[rows.length];
            try (UnicodeRegex.Scan scan = UnicodeRegex.compile(p, ci, false, false, full,
                LfLimits.DEFAULT_MAX_REGEX_PROGRAM_SIZE, -1).orElseThrow().scan()) {
              for (int i = 0; i < rows.length; i++) {
                byte[] bytes = rows[i].getBytes(StandardCharsets.UTF_8);
                nfa[i] = (byte) (scan.matches(bytes, 0, bytes.length, new StepBudget(Long.MAX_VALUE)) == 1 ? 1 : -1);
              }
            }
            for (int i = 0; i < rows.length; i++) {
              assertEquals(nfa[i], out[0][i], p + " ci=" + ci + " full=" + full + " on '" + rows[i] + "'");
              if (!p.contains("\\b")) {
                var m = compiled.matcher(rows[i]);
                boolean expected = full ? m.matches() : m.find();
                assertEquals(expected ? 1 : -1, out[0][i], p + " ci=" + ci + " full=" + full + " on '" + rows[i] + "'");
              }
            }
          }
        }
      }
      assertTrue(prefiltered > 40, "most patterns should get a prefilter: " + prefiltered);
    }
  }
}
