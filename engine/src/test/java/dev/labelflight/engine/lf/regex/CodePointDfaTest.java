package dev.labelflight.engine.lf.regex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The code point DFA against the NFA over the same program, on Unicode text with malformed bytes, long ASCII
 * stretches (what the idle-state skip jumps over) and every assertion kind.
 */
class CodePointDfaTest {
  private static final String[] ATOMS = {"a", "k", "s", "é", "€", "😀", "\u212A", "ſ", "Σ", "ς", "٣", "_", "-", "\\.", " ",
      "\\n", "\\d", "\\w", "\\s", "\\D", "\\W", "\\S", ".", "[a-c]", "[^a]", "[$€£]", "[A-Z]", "[а-я]", "\\pL", "\\p{Greek}"};
  private static final String[] ASSERTIONS = {"\\b", "\\B", "^", "$", "\\A", "\\z"};
  private static final String[] QUANTIFIERS = {"*", "+", "?", "{2}", "{1,3}", "{0,2}"};
  private static final String[] WORDS = {"click", "here", "CLICK", "Kelvin", "\u212Aelvin", "ſkip", "naïve", "été", "Σίσυφος",
      "σας", "١٢٣", "123", "555-1234", "$42", "€9", "£ 100", "ERR-404", "v1.2.3", "2024-05-01", "😀", "x_y", "a—b", "\u00a0",
      "東京", "e\u0301"};

  /**
   * Verifies that the DFA answers as the NFA does for thousands of seeded random patterns (case-insensitive or
   * not, search and full match) on random rows of words, separators, newlines and malformed UTF-8.
   */
  @Test
  void randomPatternsAgreeWithTheNfa() throws Exception {
    SplittableRandom random = new SplittableRandom(20261203);
    int compared = 0;
    int skippingDfas = 0;
    for (int i = 0; i < 1500; i++) {
      String pattern = randomRegex(random, 3);
      boolean ci = random.nextInt(3) == 0;
      boolean multiline = random.nextInt(5) == 0;
      boolean full = random.nextInt(4) == 0;
      RegexNode node;
      try {
        node = RegexParser.parse(pattern, RegexParser.Syntax.UNICODE, ci, false, multiline);
      } catch (UnsupportedRegexException e) {
        continue;
      }
      CodePointProgram program = CodePointProgram.compile(node, full, 100_000);
      CodePointDfa dfa = new CodePointDfa(program, CodePointClasses.of(program), full, 10_000);
      UnicodeNfa nfa = new UnicodeNfa(program, full);
      skippingDfas += dfa.skipping() ? 1 : 0;
      for (int r = 0; r < 20; r++) {
        byte[] row = randomRow(random);
        int want = nfa.matches(row, 0, row.length, null);
        int got = dfa.matches(row, 0, row.length);
        assertEquals(want, got, "/" + pattern + "/ ci=" + ci + " m=" + multiline + " full=" + full + " on '"
            + new String(row, StandardCharsets.UTF_8) + "'");
        compared++;
      }
    }
    assertTrue(compared > 20_000, "compared " + compared);
    assertTrue(skippingDfas > 500, "searches should mostly skip: " + skippingDfas);
  }

  /**
   * Verifies that the DFA decides Unicode word boundaries on non-ASCII rows itself (the byte DFA quit on the
   * first byte above 0x7F and left the row to the NFA), and agrees with the NFA there.
   */
  @Test
  void unicodeWordBoundariesStayOnTheDfa() {
    for (String[] c : new String[][] {{"\\bмир\\b", "привет, мир!", "1"}, {"\\bмир\\b", "мирный", "0"},
        {"\\b\\d{3}\\b", "naïve ١٢٣ x", "1"}, {"\\b\\d{3}\\b", "x١٢٣", "0"}, {"\\bclick\\b", "été click", "1"},
        {"\\bclick\\b", "éclick", "0"}, {"é\\b", "café!", "1"}, {"\\Bï", "naïve", "1"}}) {
      CodePointProgram program = CodePointProgram.compile(
          RegexParser.parse(c[0], RegexParser.Syntax.UNICODE, false, false, false), false, 10_000);
      CodePointDfa dfa = new CodePointDfa(program, CodePointClasses.of(program), false, 1000);
      byte[] row = c[1].getBytes(StandardCharsets.UTF_8);
      assertEquals(Integer.parseInt(c[2]), dfa.matches(row, 0, row.length), c[0] + " on " + c[1]);
      assertEquals(new UnicodeNfa(program, false).matches(row, 0, row.length, null), dfa.matches(row, 0, row.length));
    }
  }

  /**
   * Verifies that a DFA whose skips keep stopping at once (a pattern starting with a letter, on text of
   * letters) turns skipping off and keeps answering right.
   */
  @Test
  void skippingTurnsOffWhereItDoesNotPay() {
    CodePointProgram program = CodePointProgram.compile(
        RegexParser.parse("[a-z]+q\\b", RegexParser.Syntax.UNICODE, false, false, false), false, 10_000);
    CodePointDfa dfa = new CodePointDfa(program, CodePointClasses.of(program), false, 1000);
    UnicodeNfa nfa = new UnicodeNfa(program, false);
    assertTrue(dfa.skipping());
    SplittableRandom random = new SplittableRandom(7);
    for (int r = 0; r < 2000; r++) {
      StringBuilder row = new StringBuilder();
      for (int w = 0; w < 40; w++) {
        row.append(w % 3 == 0 ? "ab cd. " : "x ").append(random.nextInt(50) == 0 ? "zq " : "");
      }
      byte[] bytes = row.toString().getBytes(StandardCharsets.UTF_8);
      assertEquals(nfa.matches(bytes, 0, bytes.length, null), dfa.matches(bytes, 0, bytes.length), row.toString());
    }
    assertFalse(dfa.skipping(), "skips of one or two bytes should have turned skipping off");
  }

  private static byte[] randomRow(SplittableRandom random) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int words = random.nextInt(0, 12);
    for (int w = 0; w < words; w++) {
      switch (random.nextInt(10)) {
        case 0 -> out.write(new byte[] {(byte) (0x80 + random.nextInt(0x80))}); // malformed: stray byte
        case 1 -> out.write(new byte[] {(byte) 0xE2, (byte) 0x82}); // truncated sequence
        case 2 -> out.write("lorem ipsum dolor sit amet ".repeat(random.nextInt(1, 4)).getBytes(StandardCharsets.UTF_8));
        default -> out.write(WORDS[random.nextInt(WORDS.length)].getBytes(StandardCharsets.UTF_8));
      }
      out.write(" ,.\n!".charAt(random.nextInt(5)));
    }
    return out.toByteArray();
  }

  private static String randomRegex(SplittableRandom random, int depth) {
    StringBuilder sb = new StringBuilder();
    for (int n = random.nextInt(1, 4); n > 0; n--) {
      int kind = depth == 0 ? random.nextInt(3) : random.nextInt(5);
      switch (kind) {
        case 0, 1 -> sb.append(ATOMS[random.nextInt(ATOMS.length)]);
        case 2 -> sb.append(ASSERTIONS[random.nextInt(ASSERTIONS.length)]);
        case 3 -> sb.append("(").append(randomRegex(random, depth - 1)).append("|")
            .append(randomRegex(random, depth - 1)).append(")");
        default -> sb.append("(?:").append(randomRegex(random, depth - 1)).append(")")
            .append(QUANTIFIERS[random.nextInt(QUANTIFIERS.length)]);
      }
      if (kind < 2 && random.nextInt(4) == 0) {
        sb.append(QUANTIFIERS[random.nextInt(QUANTIFIERS.length)]);
      }
    }
    return sb.toString();
  }
}
