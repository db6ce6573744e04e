package dev.labelflight.engine.lf.unicode;

/**
 * What a word character is for every LF: a Unicode letter (general category L*), a Unicode number (Nd, Nl,
 * No) or {@code '_'} — exactly Python's {@code \w} for str patterns ({@code str.isalnum() or c == '_'}).
 * Combining marks, punctuation, symbols (emoji), spaces and unassigned code points are not. Keyword LFs'
 * {@code wholeWord} and regex LFs' {@code \b \B \w \W} use it; {@link #isDigit} and {@link #isSpace} are
 * Python's {@code \d} (Nd) and {@code \s} ({@code str.isspace()}). The categories are Java's (Unicode 13 on
 * Java 17; Python 3.11 has Unicode 14: the code points assigned in between differ).
 */
public final class WordCharacters {
  private WordCharacters() {}

  private static final boolean[] ASCII_WORD = new boolean[128];

  static {
    for (int c = 0; c < 128; c++) {
      ASCII_WORD[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_';
    }
  }

  /** Python's whitespace ({@code str.isspace()}), as inclusive ranges. */
  private static final int[] SPACE = {0x09, 0x0D, 0x1C, 0x20, 0x85, 0x85, 0xA0, 0xA0, 0x1680, 0x1680, 0x2000, 0x200A,
      0x2028, 0x2029, 0x202F, 0x202F, 0x205F, 0x205F, 0x3000, 0x3000};

  public static boolean isWord(int cp) {
    if (cp < 0x80) {
      return cp >= 0 && ASCII_WORD[cp];
    }
    return switch (Character.getType(cp)) {
      case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
          Character.MODIFIER_LETTER, Character.OTHER_LETTER, Character.DECIMAL_DIGIT_NUMBER,
          Character.LETTER_NUMBER, Character.OTHER_NUMBER -> true;
      default -> false;
    };
  }

  public static boolean isDigit(int cp) {
    return cp < 0x80 ? cp >= '0' && cp <= '9' : Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER;
  }

  public static boolean isSpace(int cp) {
    for (int i = 0; i < SPACE.length; i += 2) {
      if (cp < SPACE[i]) {
        return false;
      }
      if (cp <= SPACE[i + 1]) {
        return true;
      }
    }
    return false;
  }

  /** An ASCII byte's word-ness (false for bytes of multi-byte characters). */
  public static boolean isAsciiWordByte(byte b) {
    return b >= 0 && ASCII_WORD[b];
  }

  /** The word characters as sorted inclusive code point ranges {@code [lo0, hi0, lo1, hi1, ...]}. */
  public static int[] wordRanges() {
    return Ranges.WORD.clone();
  }

  /** Python's {@code \d} as ranges. */
  public static int[] digitRanges() {
    return Ranges.DIGIT.clone();
  }

  /** Python's {@code \s} as ranges. */
  public static int[] spaceRanges() {
    return SPACE.clone();
  }

  /**
   * Whether the code point that ends just before {@code at} in UTF-8 {@code data} (within {@code [from, ...)})
   * is a word character; false at {@code from}.
   */
  public static boolean wordBefore(byte[] data, int from, int at) {
    if (at <= from) {
      return false;
    }
    byte last = data[at - 1];
    if (last >= 0) {
      return ASCII_WORD[last];
    }
    int start = at - 1;
    while (start > from && start > at - 4 && (data[start] & 0xC0) == 0x80) {
      start--;
    }
    return isWord(Utf8.decode(data, start, at));
  }

  /** Whether the code point that starts at {@code at} in UTF-8 {@code data} (before {@code to}) is a word character; false at {@code to}. */
  public static boolean wordAt(byte[] data, int at, int to) {
    if (at >= to) {
      return false;
    }
    byte first = data[at];
    if (first >= 0) {
      return ASCII_WORD[first];
    }
    return isWord(Utf8.decode(data, at, to));
  }

  /** Built on first use: a pass over all code points. */
  private static final class Ranges {
    static final int[] WORD = collect(true);
    static final int[] DIGIT = collect(false);

    private static int[] collect(boolean word) {
      int[] out = new int[64];
      int n = 0;
      int start = -1;
      for (int cp = 0; cp <= Character.MAX_CODE_POINT + 1; cp++) {
        boolean in = cp <= Character.MAX_CODE_POINT && (word ? isWord(cp) : isDigit(cp));
        if (in && start < 0) {
          start = cp;
        } else if (!in && start >= 0) {
          if (n + 2 > out.length) {
            out = java.util.Arrays.copyOf(out, out.length * 2);
          }
          out[n++] = start;
          out[n++] = cp - 1;
          start = -1;
        }
      }
      return java.util.Arrays.copyOf(out, n);
    }
  }
}
