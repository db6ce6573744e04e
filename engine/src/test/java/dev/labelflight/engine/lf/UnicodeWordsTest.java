package dev.labelflight.engine.lf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.testing.TestAllocators;
import dev.labelflight.engine.testing.TextChunks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Words and case beyond ASCII: a word character is a Unicode letter, number or '_' (Python's {@code \w}
 * for str patterns), case-insensitive matching folds Unicode simple case (Python's {@code re.IGNORECASE}).
 * Keyword LFs ({@code wholeWord} = no word character just before or after) and regex LFs ({@code \b \B \w
 * \d \s}, {@code (?i)}) follow that rule, so that they agree with each other and with Python's {@code re}
 * on Cyrillic, Greek, CJK, accented Latin and emoji.
 */
class UnicodeWordsTest {
  @TempDir Path dir;

  /** A keyword LF case and what Python's re answers (see python_re.py). */
  record Case(String text, String keyword, boolean caseSensitive, boolean wholeWord, boolean python) {}

  static final List<Case> CASES = List.of(
      new Case("free😀 money", "free", true, true, true),
      new Case("naïve", "na", true, true, false),
      new Case("naïveté", "naïve", true, true, false),
      new Case("привет, мир!", "мир", true, true, true),
      new Case("МИРНЫЙ", "мир", false, true, false),
      new Case("МИР", "мир", false, true, true),
      new Case("ΣΊΣΥΦΟΣ", "σίσυφος", false, false, true),
      new Case("東京タワー", "東京", true, true, false),
      new Case("東京 タワー", "東京", true, true, true),
      new Case("東京。", "東京", true, true, true),
      new Case("café", "caf", true, true, false),
      new Case("cafe\u0301", "cafe", true, true, true),
      new Case("STRASSE", "straße", false, false, false),
      new Case("ÄRGER", "ärger", false, true, true),
      new Case("\u212Aelvin", "kelvin", false, true, true),
      new Case("x_y", "x", true, true, false),
      new Case("٣٤ items", "٣", true, true, false),
      new Case("İstanbul", "istanbul", false, false, true),
      new Case("ǅemal", "ǆemal", false, false, true),
      new Case("a—b", "a", true, true, true),
      new Case("a\u00a0b", "b", true, true, true));

  static ObjectNode keywordLf(int i, String keyword, boolean caseSensitive, boolean wholeWord) {
    ObjectNode lf = LfCompilerTest.JSON.createObjectNode().put("name", "k" + i).put("kind", "keyword").put("column", "t")
        .put("caseSensitive", caseSensitive).put("wholeWord", wholeWord).put("label", "SPAM");
    lf.putArray("keywords").add(keyword);
    return lf;
  }

  static ObjectNode regexLf(int i, String pattern, boolean caseSensitive, boolean full) {
    return LfCompilerTest.JSON.createObjectNode().put("name", "r" + i).put("kind", "regex").put("column", "t")
        .put("pattern", pattern).put("caseSensitive", caseSensitive).put("match", full ? "full" : "anywhere")
        .put("label", "SPAM");
  }

  /** {@code text} as a regex literal that RE2 and Python read alike. */
  static String quote(String text) {
    StringBuilder out = new StringBuilder();
    text.codePoints().forEach(c -> {
      if (c < 0x80 && !Character.isLetterOrDigit(c) && c != '_') {
        out.append('\\');
      }
      out.appendCodePoint(c);
    });
    return out.toString();
  }

  static List<LfSpec> specs(ArrayNode lfs) {
    List<LfSpec> out = new ArrayList<>();
    for (int i = 0; i < lfs.size(); i++) {
      out.add(LfSpec.parse(lfs.get(i), i));
    }
    return out;
  }

  /**
   * Verifies the keyword cases against Python's answers, and that each whole-word keyword LF whose keyword
   * starts and ends with a word character gives the same column as the regex LF {@code \bkeyword\b}.
   */
  @Test
  void keywordsAndWordBoundariesFollowPythonOnNonLatinText() throws Exception {
    ArrayNode lfs = LfCompilerTest.JSON.createArrayNode();
    for (int i = 0; i < CASES.size(); i++) {
      Case c = CASES.get(i);
      lfs.add(keywordLf(2 * i, c.keyword(), c.caseSensitive(), c.wholeWord()));
      lfs.add(regexLf(2 * i + 1, c.wholeWord() ? "\\b" + quote(c.keyword()) + "\\b" : quote(c.keyword()),
          c.caseSensitive(), false));
    }
    CompiledLfSet set = new LfCompiler(LfLimits.DEFAULT).compile(specs(lfs), LfCompilerTest.LABELS, TextChunks.SCHEMA);
    String[] rows = CASES.stream().map(Case::text).toArray(String[]::new);
    try (RootAllocator allocator = TestAllocators.root(); VectorSchemaRoot chunk = TextChunks.of(allocator, rows)) {
      byte[][] labels = set.evaluate(chunk);
      for (int i = 0; i < CASES.size(); i++) {
        Case c = CASES.get(i);
        int want = c.python() ? 1 : -1;
        assertEquals(want, labels[2 * i][i], "keyword " + c);
        assertEquals(want, labels[2 * i + 1][i], "regex " + lfs.get(2 * i + 1).get("pattern") + " " + c);
      }
    }
  }

  static final String[] VOCABULARY = {"naïve", "NAÏVE", "naïveté", "café", "cafe\u0301", "Ärger", "ÄRGER", "straße",
      "STRASSE", "мир", "МИР", "Мир", "мирный", "привет", "Ελλάδα", "ελλάδα", "ΣΊΣΥΦΟΣ", "σίσυφος", "東京", "タワー",
      "日本語", "한국어", "😀", "👍🏽", "ǅemal", "ǆ", "ﬁne", "\u212Aelvin", "kelvin", "ſkip", "skip", "İstanbul", "ıi", "x_y",
      "٣٤", "²", "Ⅻ", "free", "FREE", "Free", "money", "_", "42", "e\u0301"};
  static final String[] SEPARATORS = {" ", " ", " ", "", ",", "—", "😀", "\u00a0", "。", "\u3000", "-", "\n"};
  static final String[] KEYWORDS = {"naïve", "NAÏVE", "café", "caf", "cafe", "мир", "МИР", "σίσυφος", "ΣΊΣΥΦΟΣ",
      "東京", "free", "FREE", "kelvin", "skip", "straße", "ärger", "e", "é", "x", "_", "😀", "٣", "ǆemal", "ﬁ", "i"};
  /** Patterns RE2 and Python read alike ({@code $} is left out: Python's also matches before a final newline). */
  static final String[] PATTERNS = {"\\w+", "\\bмир\\b", "\\bσίσυφος\\b", "\\d+", "\\s", "\\W", "[а-я]+", "\\Bï",
      "^\\w+", "\\b\\w{3}\\b", "\\bfree\\b", "(?i)free\\b", "[[:alpha:]]+", "[^\\w ]+", "\\bé", "é\\b", "\\bx",
      "ς\\b", "\\bi", "\\D\\S\\B"};

  /**
   * Verifies, on seeded random text over that vocabulary, that every keyword LF (4 settings each) and regex
   * LF labels every row as Python's {@code re} does (skipped when no Python is found: set
   * LABELFLIGHT_SNORKEL_PYTHON, as bin/test does, or put python3 on the PATH).
   */
  @Test
  void randomTextAgreesWithPythonRe() throws Exception {
    agreesWithPythonRe(KEYWORDS, PATTERNS);
  }

  /**
   * Verifies the same with ASCII keywords alone, so that their automaton steps over non-ASCII characters in
   * place (reading a row folded only at one that folds to ASCII, like the Kelvin sign or long s).
   */
  @Test
  void asciiKeywordsOnRandomTextAgreeWithPythonRe() throws Exception {
    agreesWithPythonRe(java.util.Arrays.stream(KEYWORDS).filter(k -> k.chars().allMatch(c -> c < 0x80))
        .toArray(String[]::new), new String[0]);
  }

  private void agreesWithPythonRe(String[] keywords, String[] patterns) throws Exception {
    String python = python();
    Assumptions.assumeTrue(python != null, "no Python found (LABELFLIGHT_SNORKEL_PYTHON or python3)");
    SplittableRandom random = new SplittableRandom(17);
    String[] rows = new String[1500];
    for (int r = 0; r < rows.length; r++) {
      if (random.nextInt(50) == 0) {
        continue;
      }
      StringBuilder row = new StringBuilder();
      for (int w = random.nextInt(1, 8); w > 0; w--) {
        row.append(VOCABULARY[random.nextInt(VOCABULARY.length)]).append(SEPARATORS[random.nextInt(SEPARATORS.length)]);
      }
      rows[r] = row.toString();
    }
    ArrayNode lfs = LfCompilerTest.JSON.createArrayNode();
    ArrayNode reference = LfCompilerTest.JSON.createArrayNode();
    for (String keyword : keywords) {
      for (int setting = 0; setting < 4; setting++) {
        boolean caseSensitive = (setting & 1) != 0;
        boolean wholeWord = (setting & 2) != 0;
        lfs.add(keywordLf(lfs.size(), keyword, caseSensitive, wholeWord));
        reference.addObject().put("kind", "keyword").put("keyword", keyword).put("caseSensitive", caseSensitive)
            .put("wholeWord", wholeWord);
      }
    }
    for (String pattern : patterns) {
      for (int setting = 0; setting < 3; setting++) {
        boolean caseSensitive = setting != 1;
        boolean full = setting == 2;
        lfs.add(regexLf(lfs.size(), pattern, caseSensitive, full));
        reference.addObject().put("kind", "regex").put("pattern", pythonPattern(pattern))
            .put("caseSensitive", caseSensitive).put("full", full);
      }
    }
    ObjectNode cases = LfCompilerTest.JSON.createObjectNode();
    ArrayNode rowsJson = cases.putArray("rows");
    for (String row : rows) {
      rowsJson.add(row);
    }
    cases.set("lfs", reference);
    JsonNode expected = runPython(python, cases);
    CompiledLfSet set = new LfCompiler(LfLimits.DEFAULT).compile(specs(lfs), LfCompilerTest.LABELS, TextChunks.SCHEMA);
    try (RootAllocator allocator = TestAllocators.root(); VectorSchemaRoot chunk = TextChunks.of(allocator, rows)) {
      byte[][] labels = set.evaluate(chunk);
      int votes = 0;
      for (int lf = 0; lf < lfs.size(); lf++) {
        for (int r = 0; r < rows.length; r++) {
          int want = expected.get(lf).get(r).asInt() == 1 ? 1 : -1;
          votes += want > 0 ? 1 : 0;
          assertEquals(want, labels[lf][r], lfs.get(lf) + " on " + (rows[r] == null ? null : "'" + rows[r] + "'"));
        }
      }
      System.out.printf("%d LFs x %d rows agree with Python's re (%d votes)%n", lfs.size(), rows.length, votes);
    }
  }

  /** The pattern in Python's syntax: RE2's POSIX class spelled out as Python has none. */
  static String pythonPattern(String pattern) {
    return pattern.replace("[[:alpha:]]", "[A-Za-z]");
  }

  static String python() {
    String configured = System.getenv("LABELFLIGHT_SNORKEL_PYTHON");
    for (String candidate : configured != null && !configured.isBlank() ? List.of(configured) : List.of("python3")) {
      try {
        Process p = new ProcessBuilder(candidate, "-c", "import re, json").redirectErrorStream(true).start();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return candidate;
        }
        p.destroyForcibly();
      } catch (IOException e) {
        // not there: skip
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return null;
  }

  JsonNode runPython(String python, ObjectNode cases) throws Exception {
    Path input = dir.resolve("cases.json");
    Files.writeString(input, LfCompilerTest.JSON.writeValueAsString(cases), StandardCharsets.UTF_8);
    Path script = Path.of(UnicodeWordsTest.class.getResource("/unicode/python_re.py").toURI());
    Path output = dir.resolve("labels.json");
    Process p = new ProcessBuilder(python, script.toString(), input.toString()).redirectOutput(output.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("python_re.py did not finish within 120 s");
    }
    assertEquals(0, p.exitValue(), "python_re.py failed");
    return LfCompilerTest.JSON.readTree(output.toFile());
  }
}
