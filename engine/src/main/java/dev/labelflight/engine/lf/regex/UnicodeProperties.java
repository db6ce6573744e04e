package dev.labelflight.engine.lf.regex;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The named classes of RE2 syntax as code point ranges: Unicode general categories ({@code \pL},
 * {@code \p{Lu}}, ...), scripts ({@code \p{Greek}}), {@code Any}, and the ASCII POSIX classes
 * ({@code [[:alpha:]]}). Categories and scripts come from Java's tables (Unicode 13 on Java 17), each built
 * once on first use (a pass over all code points) and kept.
 */
final class UnicodeProperties {
  private UnicodeProperties() {}

  private static final Map<String, int[]> CACHE = new ConcurrentHashMap<>();

  /** General category letters to Java's {@link Character#getType} values. */
  private static final Map<String, byte[]> CATEGORIES = Map.ofEntries(
      Map.entry("Lu", new byte[] {Character.UPPERCASE_LETTER}),
      Map.entry("Ll", new byte[] {Character.LOWERCASE_LETTER}),
      Map.entry("Lt", new byte[] {Character.TITLECASE_LETTER}),
      Map.entry("Lm", new byte[] {Character.MODIFIER_LETTER}),
      Map.entry("Lo", new byte[] {Character.OTHER_LETTER}),
      Map.entry("L", new byte[] {Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
          Character.MODIFIER_LETTER, Character.OTHER_LETTER}),
      Map.entry("Mn", new byte[] {Character.NON_SPACING_MARK}),
      Map.entry("Mc", new byte[] {Character.COMBINING_SPACING_MARK}),
      Map.entry("Me", new byte[] {Character.ENCLOSING_MARK}),
      Map.entry("M", new byte[] {Character.NON_SPACING_MARK, Character.COMBINING_SPACING_MARK, Character.ENCLOSING_MARK}),
      Map.entry("Nd", new byte[] {Character.DECIMAL_DIGIT_NUMBER}),
      Map.entry("Nl", new byte[] {Character.LETTER_NUMBER}),
      Map.entry("No", new byte[] {Character.OTHER_NUMBER}),
      Map.entry("N", new byte[] {Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER}),
      Map.entry("Pc", new byte[] {Character.CONNECTOR_PUNCTUATION}),
      Map.entry("Pd", new byte[] {Character.DASH_PUNCTUATION}),
      Map.entry("Ps", new byte[] {Character.START_PUNCTUATION}),
      Map.entry("Pe", new byte[] {Character.END_PUNCTUATION}),
      Map.entry("Pi", new byte[] {Character.INITIAL_QUOTE_PUNCTUATION}),
      Map.entry("Pf", new byte[] {Character.FINAL_QUOTE_PUNCTUATION}),
      Map.entry("Po", new byte[] {Character.OTHER_PUNCTUATION}),
      Map.entry("P", new byte[] {Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
          Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
          Character.OTHER_PUNCTUATION}),
      Map.entry("Sm", new byte[] {Character.MATH_SYMBOL}),
      Map.entry("Sc", new byte[] {Character.CURRENCY_SYMBOL}),
      Map.entry("Sk", new byte[] {Character.MODIFIER_SYMBOL}),
      Map.entry("So", new byte[] {Character.OTHER_SYMBOL}),
      Map.entry("S", new byte[] {Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL,
          Character.OTHER_SYMBOL}),
      Map.entry("Zs", new byte[] {Character.SPACE_SEPARATOR}),
      Map.entry("Zl", new byte[] {Character.LINE_SEPARATOR}),
      Map.entry("Zp", new byte[] {Character.PARAGRAPH_SEPARATOR}),
      Map.entry("Z", new byte[] {Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR}),
      Map.entry("Cc", new byte[] {Character.CONTROL}),
      Map.entry("Cf", new byte[] {Character.FORMAT}),
      Map.entry("Co", new byte[] {Character.PRIVATE_USE}),
      Map.entry("Cs", new byte[] {Character.SURROGATE}),
      Map.entry("C", new byte[] {Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE, Character.SURROGATE,
          Character.UNASSIGNED}));

  /** RE2's POSIX classes, ASCII only. */
  private static final Map<String, int[]> POSIX = Map.ofEntries(
      Map.entry("alnum", new int[] {'0', '9', 'A', 'Z', 'a', 'z'}),
      Map.entry("alpha", new int[] {'A', 'Z', 'a', 'z'}),
      Map.entry("ascii", new int[] {0, 0x7F}),
      Map.entry("blank", new int[] {'\t', '\t', ' ', ' '}),
      Map.entry("cntrl", new int[] {0, 0x1F, 0x7F, 0x7F}),
      Map.entry("digit", new int[] {'0', '9'}),
      Map.entry("graph", new int[] {'!', '~'}),
      Map.entry("lower", new int[] {'a', 'z'}),
      Map.entry("print", new int[] {' ', '~'}),
      Map.entry("punct", new int[] {'!', '/', ':', '@', '[', '`', '{', '~'}),
      Map.entry("space", new int[] {'\t', '\r', ' ', ' '}),
      Map.entry("upper", new int[] {'A', 'Z'}),
      Map.entry("word", new int[] {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'}),
      Map.entry("xdigit", new int[] {'0', '9', 'A', 'F', 'a', 'f'}));

  /** The ranges of {@code \p{name}}: a general category, a script or {@code Any}; empty if unknown. */
  static java.util.Optional<int[]> property(String name) {
    if (name.equals("Any")) {
      return java.util.Optional.of(new int[] {0, CodePointRanges.MAX});
    }
    byte[] types = CATEGORIES.get(name);
    Character.UnicodeScript script = null;
    if (types == null) {
      try {
        script = Character.UnicodeScript.forName(name);
      } catch (IllegalArgumentException e) {
        return java.util.Optional.empty();
      }
    }
    byte[] t = types;
    Character.UnicodeScript s = script;
    return java.util.Optional.of(CACHE.computeIfAbsent(name, n -> collect(t, s)).clone());
  }

  /** The ranges of {@code [:name:]}, or empty if it is not a POSIX class. */
  static java.util.Optional<int[]> posix(String name) {
    int[] r = POSIX.get(name);
    return r == null ? java.util.Optional.empty() : java.util.Optional.of(r.clone());
  }

  private static int[] collect(byte[] types, Character.UnicodeScript script) {
    int[] out = new int[64];
    int n = 0;
    int start = -1;
    for (int cp = 0; cp <= CodePointRanges.MAX + 1; cp++) {
      boolean in = cp <= CodePointRanges.MAX && (types != null ? has(types, (byte) Character.getType(cp))
          : Character.UnicodeScript.of(cp) == script);
      if (in && start < 0) {
        start = cp;
      } else if (!in && start >= 0) {
        if (n + 2 > out.length) {
          out = Arrays.copyOf(out, out.length * 2);
        }
        out[n++] = start;
        out[n++] = cp - 1;
        start = -1;
      }
    }
    return Arrays.copyOf(out, n);
  }

  private static boolean has(byte[] types, byte type) {
    for (byte t : types) {
      if (t == type) {
        return true;
      }
    }
    return false;
  }
}
