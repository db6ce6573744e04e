package dev.labelflight.engine.lf.regex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ByteRegexTest {
  /** Characters of the random strings: ASCII, word and not, newline, 2-, 3- and 4-byte UTF-8, fold partners. */
  private static final String TEXT_CHARS = "abcksxKSA_Z0 9-.\n\téſ\u212AÿĀ€😀\u0130ı";
  private static final String[] LITERALS = {"a", "b", "c", "k", "s", "K", "S", "x", "_", "0", " ", "\\n", "\\.", "-",
      "é", "ſ", "\u212A", "€", "😀", "\\x41", "\\x{e9}", "\\t", "\\-"};
  private static final String[] CLASSES = {".", "\\d", "\\w", "\\s", "\\D", "\\W", "\\S", "[abc]", "[^a]", "[a-z]",
      "[A-Z]", "[^a-z]", "[à-ÿ]", "[^é-\uFB00]", "[\\d\\s]", "[\\w]", "[^\\W]", "[😀-😂]", "[Ā-𐀀]", "[^\\n]",
      "[]a]", "[^]a]", "[a-]", "[-a]", "[ks]", "[^ks]", "[\\x{80}-\\x{10FFFF}]", "[\\x00-\\x7f]", "[^\\x00-\\x{10FFFF}]"};
  /** Classes too large for RE2J to case-fold quickly. */
  private static final List<String> HUGE = List.of("[^é-\uFB00]", "[Ā-𐀀]", "[\\x{80}-\\x{10FFFF}]",
      "[^\\x00-\\x{10FFFF}]");
  private static final String[] ASSERTIONS = {"\\b", "\\B", "^", "$", "\\A", "\\z"};
  private static final String[] QUANTIFIERS = {"*", "+", "?", "{2}", "{1,}", "{0,2}", "{1,3}", "*?", "+?", "??",
      "{2,3}?"};
  private static final String[] GROUPS = {"(", "(?:", "(?i:", "(?s:", "(?m:", "(?-i:", "(?P<g>", "(?U:"};
  private static final String[] PREFIXES = {"", "", "", "(?i)", "(?s)", "(?m)", "(?ims)"};

  /**
   * Verifies that the DFA's answer equals RE2J's for thousands of seeded random patterns of the supported
   * grammar and random strings (ASCII, multi-byte UTF-8, newlines), all flag combinations, find and full
   * match.
   */
  @Test
  void randomPatternsAgreeWithRe2j() {
    SplittableRandom random = new SplittableRandom(20261125);
    int compared = 0;
    int supported = 0;
    int patterns = 2000;
    for (int i = 0; i < patterns; i++) {
      String pattern = PREFIXES[random.nextInt(PREFIXES.length)] + randomRegex(random, 3);
      int flags = random.nextInt(8) == 0 ? random.nextInt(8) : 0;
      if (((flags & Pattern.CASE_INSENSITIVE) != 0 || pattern.contains("(?i")) && HUGE.stream().anyMatch(pattern::contains)) {
        continue; // RE2J folds huge classes one code point at a time: too slow for a unit test
      }
      Pattern re2j;
      try {
        re2j = Pattern.compile(pattern, flags);
      } catch (PatternSyntaxException e) {
        continue;
      }
      for (boolean full : new boolean[] {false, true}) {
        Optional<ByteRegex> dfa = ByteRegex.compile(re2j, full);
        if (dfa.isEmpty()) {
          continue;
        }
        supported++;
        for (int s = 0; s < 30; s++) {
          assertAgrees(re2j, dfa.get(), full, randomText(random, s < 15 ? 6 : 16));
          compared++;
        }
      }
    }
    assertTrue(supported > patterns, "most random patterns should be supported: " + supported);
    assertTrue(compared > 60_000, "compared " + compared);
  }

  /** Verifies that tricky cases agree with RE2J: assertions, empty matches, folding of k and s, multi-byte dots. */
  @Test
  void trickyPatternsAgreeWithRe2j() {
    List<String> patterns = List.of("\\b", "\\B", "^", "$", "^$", "\\A\\z", "a|", "|a", "(|a)b", "a*", "(a*)*",
        "(a*)+$", "(a|b)*?c", "\\bk\\b", "\\Bs", "k", "s", "K", "S", "(?i)k", "(?i)s", "(?i)K", "(?i)S", "(?i)[k]",
        "(?i)[^k]", "(?i)[a-z]+", "(?i)\\w", "(?i)\\W", "(?i)[^\\W]", "(?i)[\\W]", "(?i)ſ", "(?i)\u212A", "é",
        "(?i)é", ".", "^.$", "^..$", "^...$", "^.{4}$", "(?s)^.+$", "^.+$", "[^a]", "^[^a]$", "[à-ÿ]+", "[^é-\uFB00]",
        "[😀-😂]", "^\\W$", "\\d{2,}", "x{0}", "x{0}y", "(?m)^a", "(?m)a$", "(?m)^$", "(?m)^\\b", "\\b$", "^\\B",
        "a\\b\\B", "[\\s]", "\\s\\S", "(?i)ΣΑΣ", "(?U)a+?", "(?i)(?-i)k", "(?i:k)K", "\\x{212a}", "[\\x{212a}]",
        "\\bnot (good|recommend|working|worth)\\b", "\\b[A-Z]{4,}\\b", "https?://|www\\.", "(a+)+$", "^(?:a|ab)+$");
    List<String> texts = List.of("", "a", "k", "K", "s", "S", "ſ", "\u212A", "é", "É", "ÿ", "😀", "a\n", "\n",
        "\na", "a\nb", "ab", "aab", "xxk", "KELVIN", "not good", "so not working!", "nothing", "THIS is", "ABC",
        "hello WORLD.", "visit http://x", "www.y", "éa", "aé", "a_é", "ab\n\n", "😀😀", "ΣΑΣ", "σας", "aaaaaaaaab",
        "ababab", "abab€ab", "0x", "12", " \t");
    for (String p : patterns) {
      for (int flags : new int[] {0, Pattern.CASE_INSENSITIVE, Pattern.MULTILINE | Pattern.DOTALL}) {
        if (flags == Pattern.CASE_INSENSITIVE && p.equals("[^é-\uFB00]")) {
          continue; // RE2J folds huge classes one code point at a time: too slow for a unit test
        }
        Pattern re2j = Pattern.compile(p, flags);
        for (boolean full : new boolean[] {false, true}) {
          Optional<ByteRegex> dfa = ByteRegex.compile(re2j, full);
          if (dfa.isEmpty()) {
            continue;
          }
          for (String t : texts) {
            assertAgrees(re2j, dfa.get(), full, t);
          }
        }
      }
    }
  }

  /** Verifies that syntax beyond the subset is reported unsupported, so RE2J keeps running it. */
  @Test
  void unsupportedSyntaxFallsBack() {
    for (String p : List.of("\\pL", "\\p{Greek}", "[[:alpha:]]", "\\Qa.b\\E", "\\0", "(?i)é", "(?i)[à-ÿ]",
        ".{1000}.{1000}.{1000}", "[\\p{Lu}]")) {
      assertTrue(ByteRegex.compile(Pattern.compile(p), false).isEmpty(), p);
    }
    assertTrue(ByteRegex.compile(Pattern.compile("é"), false).isPresent());
    assertTrue(ByteRegex.compile(Pattern.compile("a", Pattern.LONGEST_MATCH), false).isEmpty());
    assertTrue(ByteRegex.unsupported("\\pL").isPresent());
    assertTrue(ByteRegex.unsupported("[a-z]+\\b").isEmpty());
  }

  /**
   * Verifies that a pattern whose DFA has far more states than the bound still answers like RE2J: the
   * cache is cleared (counted) or the row gives up, never grows past the bound.
   */
  @Test
  void stateBoundKeepsAnswersRight() {
    Pattern re2j = Pattern.compile("(a|b)*a(a|b){12}");
    ByteRegex dfa = ByteRegex.compile(re2j, false, 64).orElseThrow();
    LazyDfa cache = dfa.acquire();
    SplittableRandom random = new SplittableRandom(5);
    int gaveUp = 0;
    for (int i = 0; i < 400; i++) {
      StringBuilder sb = new StringBuilder();
      int n = random.nextInt(80);
      for (int j = 0; j < n; j++) {
        sb.append(random.nextInt(6) == 0 ? 'a' : 'b');
      }
      String text = sb.toString();
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      int answer = cache.matches(bytes, 0, bytes.length);
      assertTrue(cache.states() <= 64, "states " + cache.states());
      if (answer == LazyDfa.GAVE_UP) {
        gaveUp++;
        continue;
      }
      assertEquals(re2j.matcher(text).find() ? 1 : 0, answer, text);
    }
    assertTrue(cache.resets() > 0, "the bound should have been reached");
    assertTrue(gaveUp < 400, "most rows should be answered by the DFA: gave up on " + gaveUp);
    dfa.release(cache);
  }

  /** Verifies that the byte-range sequences of random code point ranges accept exactly their code points' UTF-8. */
  @Test
  void utf8SequencesCoverExactlyTheRange() {
    SplittableRandom random = new SplittableRandom(8);
    for (int i = 0; i < 300; i++) {
      int lo = random.nextInt(0x110000);
      int hi = lo + random.nextInt(Math.max(1, Math.min(0x110000 - lo, i % 2 == 0 ? 300 : 0x30000)));
      List<int[]> sequences = Utf8Sequences.of(lo, hi);
      for (int k = 0; k < 300; k++) {
        int cp = lo - 100 + random.nextInt(hi - lo + 200);
        if (cp < 0 || cp > 0x10FFFF || cp >= 0xD800 && cp <= 0xDFFF) {
          continue;
        }
        byte[] utf8 = Utf8Sequences.encode(cp);
        long accepting = sequences.stream().filter(seq -> accepts(seq, utf8)).count();
        assertEquals(cp >= lo && cp <= hi ? 1 : 0, accepting, "U+" + Integer.toHexString(cp) + " in [" + lo + ", " + hi + "]");
      }
    }
  }

  private static boolean accepts(int[] sequence, byte[] utf8) {
    if (sequence.length != 2 * utf8.length) {
      return false;
    }
    for (int i = 0; i < utf8.length; i++) {
      int b = utf8[i] & 0xFF;
      if (b < sequence[2 * i] || b > sequence[2 * i + 1]) {
        return false;
      }
    }
    return true;
  }

  private static void assertAgrees(Pattern re2j, ByteRegex dfa, boolean full, String text) {
    var m = re2j.matcher(text);
    boolean expected = full ? m.matches() : m.find();
    byte[] bytes = ("<" + text + ">").getBytes(StandardCharsets.UTF_8);
    LazyDfa cache = dfa.acquire();
    try {
      int answer = cache.matches(bytes, 1, bytes.length - 1);
      assertEquals(expected ? 1 : 0, answer,
          () -> "/" + re2j.pattern() + "/ flags=" + re2j.flags() + " full=" + full + " on '" + text + "'");
    } finally {
      dfa.release(cache);
    }
  }

  private static String randomText(SplittableRandom random, int maxLength) {
    StringBuilder sb = new StringBuilder();
    int n = random.nextInt(maxLength + 1);
    int[] cps = TEXT_CHARS.codePoints().toArray();
    for (int i = 0; i < n; i++) {
      sb.appendCodePoint(cps[random.nextInt(cps.length)]);
    }
    return sb.toString();
  }

  private static String randomRegex(SplittableRandom random, int depth) {
    int n = 1 + random.nextInt(3);
    List<String> branches = new ArrayList<>();
    int alternatives = random.nextInt(5) == 0 ? 2 + random.nextInt(2) : 1;
    for (int a = 0; a < alternatives; a++) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < n && !(random.nextInt(12) == 0); i++) {
        int kind = random.nextInt(10);
        String atom;
        if (kind < 4) {
          atom = LITERALS[random.nextInt(LITERALS.length)];
        } else if (kind < 7) {
          atom = CLASSES[random.nextInt(CLASSES.length)];
        } else if (kind < 8) {
          sb.append(ASSERTIONS[random.nextInt(ASSERTIONS.length)]);
          continue;
        } else if (depth > 0) {
          atom = GROUPS[random.nextInt(GROUPS.length)] + randomRegex(random, depth - 1) + ")";
        } else {
          atom = LITERALS[random.nextInt(LITERALS.length)];
        }
        sb.append(atom);
        if (random.nextInt(3) == 0) {
          sb.append(QUANTIFIERS[random.nextInt(QUANTIFIERS.length)]);
        }
      }
      branches.add(sb.toString());
    }
    return String.join("|", branches);
  }
}
