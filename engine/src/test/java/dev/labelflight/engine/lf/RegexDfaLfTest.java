package dev.labelflight.engine.lf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.re2j.Pattern;
import dev.labelflight.engine.lf.regex.ByteRegex;
import dev.labelflight.engine.lf.regex.StepBudget;
import dev.labelflight.engine.lf.regex.UnicodeRegex;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * Regex LFs evaluated through the LF compiler (lazy DFA, literal prefilter, NFA for non-ASCII rows of
 * Unicode-sensitive patterns and after the DFA thrashed), against the NFA alone row by row, and against
 * RE2J where the two meanings agree (no {@code \b \w \d \s}: RE2J's are ASCII).
 */
class RegexDfaLfTest {
  static final Schema SCHEMA = new Schema(List.of(new Field("t", FieldType.nullable(new ArrowType.Utf8()), null)));
  static final String[] WORDS = {"not", "good", "working", "worth", "recommend", "NOTE", "HTTP", "http://a.b",
      "www.x.y", "skip", "KELVIN", "\u212Aelvin", "ſkip", "été", "naïve", "😀", "ok.", "line\nbreak", "A_B", "42"};

  /** The LFs: pattern, caseSensitive, dotAll, multiline, full match. */
  record Lf(String pattern, boolean caseSensitive, boolean dotAll, boolean multiline, boolean full) {
    String json(int i) {
      return ("{\"name\":\"r%d\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":%s,\"caseSensitive\":%s,"
          + "\"dotAll\":%s,\"multiline\":%s,\"match\":\"%s\",\"label\":\"SPAM\"}").formatted(i,
          LfCompilerTest.JSON.valueToTree(pattern).toString(), caseSensitive, dotAll, multiline, full ? "full" : "anywhere");
    }

    /** Whether RE2J means the same as LabelFlight for this pattern (no Unicode-aware class or boundary). */
    boolean sameAsRe2j() {
      return !pattern.matches(".*\\\\[bBwWdDsS].*");
    }

    Pattern re2j() {
      return Pattern.compile(pattern, (caseSensitive ? 0 : Pattern.CASE_INSENSITIVE) | (dotAll ? Pattern.DOTALL : 0)
          | (multiline ? Pattern.MULTILINE : 0));
    }
  }

  static final List<Lf> LFS = List.of(
      new Lf("https?://|www\\.", true, false, false, false),
      new Lf("\\b[A-Z]{4,}\\b", true, false, false, false),
      new Lf("\\bnot (good|recommend|working|worth)\\b", true, false, false, false),
      new Lf("sk", false, false, false, false),
      new Lf("k\\w+", false, false, false, false),
      new Lf("^[a-z ]+[.!]?$", false, false, false, true),
      new Lf(".+é.*", true, true, false, true),
      new Lf("^break", true, false, true, false),
      new Lf("\\pL+ing", true, false, false, false), // outside the DFA's syntax: RE2J
      new Lf("(?i)naïve", true, false, false, false), // non-ASCII folding: RE2J
      // Case-insensitive literals prefilter through the folding automaton: the Kelvin sign and long s are k and s.
      new Lf("\\bkelvin\\b", false, false, false, false),
      new Lf("naïve|sk[i]p", false, false, false, false));

  /**
   * Verifies that every cell of a chunk labelled through the LF compiler (DFA, literal prefilter, NFA,
   * nulls abstaining) equals the NFA's answer alone for that row, and RE2J's where the meanings agree,
   * with chunks evaluated concurrently on two threads sharing the compiled set.
   */
  @Test
  void compiledRegexLfsAgreeWithTheNfaPerRow() throws Exception {
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < LFS.size(); i++) {
      json.append(i == 0 ? "" : ",").append(LFS.get(i).json(i));
    }
    CompiledLfSet set = new LfCompiler(LfLimits.DEFAULT).compile(LfCompilerTest.specs(json.append(']').toString()),
        LfCompilerTest.LABELS, SCHEMA);
    assertNotNull(ByteRegex.compile(LFS.get(1).re2j(), false).orElse(null));
    assertNull(ByteRegex.compile(LFS.get(8).re2j(), false).orElse(null));
    assertNull(ByteRegex.compile(LFS.get(9).re2j(), false).orElse(null));
    SplittableRandom random = new SplittableRandom(11);
    List<String[]> chunks = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      String[] rows = new String[1500];
      for (int r = 0; r < rows.length; r++) {
        if (random.nextInt(40) == 0) {
          continue; // null
        }
        StringBuilder sb = new StringBuilder();
        int n = random.nextInt(8);
        for (int w = 0; w < n; w++) {
          sb.append(w == 0 ? "" : random.nextInt(10) == 0 ? "\n" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        rows[r] = sb.toString();
      }
      chunks.add(rows);
    }
    try (RootAllocator allocator = TestAllocators.root()) {
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (String[] rows : chunks) {
          done.add(pool.submit(() -> {
            try (VectorSchemaRoot root = chunk(allocator, rows)) {
              byte[][] labels = set.evaluate(root);
              for (int lf = 0; lf < LFS.size(); lf++) {
                Lf spec = LFS.get(lf);
                Pattern re2j = spec.re2j();
                try (UnicodeRegex.Scan nfa = UnicodeRegex.compile(spec.pattern(), !spec.caseSensitive(), spec.dotAll(),
                    spec.multiline(), spec.full(), LfLimits.DEFAULT_MAX_REGEX_PROGRAM_SIZE, -1).orElseThrow().scan()) {
                  for (int r = 0; r < rows.length; r++) {
                    byte[] bytes = rows[r] == null ? null : rows[r].getBytes(StandardCharsets.UTF_8);
                    int expected = bytes == null ? -1
                        : nfa.matches(bytes, 0, bytes.length, new StepBudget(Long.MAX_VALUE)) == 1 ? 1 : -1;
                    assertEquals(expected, labels[lf][r], "/" + re2j.pattern() + "/ on '" + rows[r] + "'");
                    if (bytes != null && spec.sameAsRe2j()) {
                      int byRe2j = (spec.full() ? re2j.matcher(rows[r]).matches() : re2j.matcher(rows[r]).find()) ? 1 : -1;
                      assertEquals(byRe2j, labels[lf][r], "RE2J: /" + re2j.pattern() + "/ on '" + rows[r] + "'");
                    }
                  }
                }
              }
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
    }
  }

  /**
   * Verifies that when the DFA's state bound is far too small for a pattern, the chunk still gets RE2J's
   * labels (the matcher gives the rest of the chunk to the NFA).
   */
  @Test
  void thrashingDfaFallsBackToTheNfaForTheChunk() {
    Pattern re2j = Pattern.compile("(a|b)*a(a|b){12}");
    RegexMatcher matcher = RegexMatcher.of("t", 0, (byte) 1, re2j, false, 8);
    SplittableRandom random = new SplittableRandom(3);
    String[] rows = new String[300];
    for (int r = 0; r < rows.length; r++) {
      StringBuilder sb = new StringBuilder();
      for (int i = random.nextInt(200); i > 0; i--) {
        sb.append(random.nextInt(8) == 0 ? 'a' : 'b');
      }
      rows[r] = sb.toString();
    }
    try (RootAllocator allocator = TestAllocators.root(); VectorSchemaRoot root = chunk(allocator, rows)) {
      byte[][] out = {new byte[rows.length]};
      java.util.Arrays.fill(out[0], (byte) -1);
      matcher.evaluate(root, out);
      byte[] expected = new byte[rows.length];
      for (int r = 0; r < rows.length; r++) {
        expected[r] = (byte) (re2j.matcher(rows[r]).find() ? 1 : -1);
      }
      assertArrayEquals(expected, out[0]);
    }
  }

  static VectorSchemaRoot chunk(RootAllocator allocator, String[] rows) {
    VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
    VarCharVector t = (VarCharVector) root.getVector("t");
    t.allocateNew();
    for (int i = 0; i < rows.length; i++) {
      if (rows[i] == null) {
        t.setNull(i);
      } else {
        t.setSafe(i, rows[i].getBytes(StandardCharsets.UTF_8));
      }
    }
    root.setRowCount(rows.length);
    return root;
  }
}
