package dev.labelflight.engine.lf;

import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.lf.unicode.CaseFolding;
import dev.labelflight.engine.lf.unicode.Utf8;

/**
 * A skip index over one text column: per row a fixed-width bit signature of the hashed byte bigrams of
 * its ASCII-case-folded bytes. A keyword can only occur in a row whose signature holds every bit of the
 * keyword's own bigrams (its {@link #mask}: the bigrams no case folding can change), whatever its case or
 * whole-word setting, so a matcher may skip the other rows without changing its result. Built once per kept (resident) column; columnar: one
 * {@code long[]} of {@link #WORDS} longs per row.
 */
final class TextSignatures {
  /**
   * Longs per row: 256 bits. Measured on the generated reviews (~120 bytes, ~70 distinct bigrams a row):
   * 256 bits leave ~25% of the bits set, so a 5-letter keyword (4 bigrams) passes ~1% of rows that lack
   * it; 512 bits halve that but double the memory, and trigrams fill the signature faster than they
   * sharpen a keyword (see {@code TextSignaturesTest}).
   */
  static final int WORDS = 4;
  /** Bytes one row's signature takes. */
  static final int BYTES_PER_ROW = WORDS * Long.BYTES;
  /** A fused group with more filtered keywords than this tests too many masks per row to pay off. */
  static final int MAX_MASKS = 32;
  private static final int SHIFT = 32 - Integer.numberOfTrailingZeros(WORDS * 64);
  private static final byte[] FOLD = new byte[256];

  static {
    for (int b = 0; b < 256; b++) {
      FOLD[b] = (byte) (b >= 'A' && b <= 'Z' ? b + 32 : b);
    }
  }

  private final long[] bits;

  private TextSignatures(long[] bits) {
    this.bits = bits;
  }

  /** Signatures of every row of {@code text} (null rows get an empty one). */
  static TextSignatures of(TextColumn text) {
    return of(text, () -> { });
  }

  /** As {@link #of(TextColumn)}, calling {@code pause} every few thousand rows (a builder yielding to jobs). */
  static TextSignatures of(TextColumn text, Runnable pause) {
    int rows = text.rows();
    long[] bits = new long[Math.multiplyExact(rows, WORDS)];
    byte[] data = text.data;
    int[] offsets = text.offsets;
    for (int row = 0; row < rows; row++) {
      if ((row & 4095) == 0) {
        CancelToken.check();
        pause.run();
      }
      int end = offsets[row + 1];
      int base = row * WORDS;
      int j = offsets[row];
      if (j >= end) {
        continue;
      }
      int prev = FOLD[data[j] & 0xff] & 0xff;
      for (j++; j < end; j++) {
        int cur = FOLD[data[j] & 0xff] & 0xff;
        int h = bit(prev, cur);
        bits[base + (h >>> 6)] |= 1L << h;
        prev = cur;
      }
    }
    return new TextSignatures(bits);
  }

  private static int bit(int first, int second) {
    return (((first << 8) | second) * 0x9E3779B1) >>> SHIFT;
  }

  /**
   * The bits a row must hold to contain {@code keyword} as a keyword automaton matches it; null if it has
   * no bigram to filter on. A case-insensitive keyword's character may match others of its orbit
   * ({@link CaseFolding}), whose bytes the row then holds instead: only bigrams of characters that match
   * nothing but their ASCII case pair (most ASCII letters, digits, punctuation) or only themselves (letters
   * without case, such as CJK) count; {@code k} and {@code s} (Kelvin sign, long s) and non-ASCII letters with
   * case do not.
   */
  static long[] mask(KeywordAutomaton.Keyword keyword) {
    String text = keyword.text();
    byte[] bytes = new byte[4 * text.length()];
    boolean[] stable = new boolean[bytes.length];
    int n = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      boolean keep = keyword.caseSensitive() || CaseFolding.isCaseless(cp) || cp < 0x80 && asciiOrbit(cp);
      int written = Utf8.encode(keyword.caseSensitive() ? cp : CaseFolding.fold(cp), bytes, n);
      for (int w = 0; w < written; w++) {
        stable[n + w] = keep;
      }
      n += written;
    }
    long[] mask = new long[WORDS];
    boolean any = false;
    for (int j = 1; j < n; j++) {
      if (stable[j - 1] && stable[j]) {
        int h = bit(FOLD[bytes[j - 1] & 0xff] & 0xff, FOLD[bytes[j] & 0xff] & 0xff);
        mask[h >>> 6] |= 1L << h;
        any = true;
      }
    }
    return any ? mask : null;
  }

  /** Whether every member of an ASCII code point's orbit is ASCII. */
  private static boolean asciiOrbit(int cp) {
    for (int member : CaseFolding.orbit(cp)) {
      if (member >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /**
   * The masks of all {@code keywords} one after the other ({@link #WORDS} longs each), or null when some
   * keyword cannot be filtered or there are too many to test per row: then every row must be scanned.
   */
  static long[] masks(java.util.List<KeywordAutomaton.Keyword> keywords) {
    if (keywords.isEmpty() || keywords.size() > MAX_MASKS) {
      return null;
    }
    long[] out = new long[keywords.size() * WORDS];
    for (int k = 0; k < keywords.size(); k++) {
      long[] mask = mask(keywords.get(k));
      if (mask == null) {
        return null;
      }
      System.arraycopy(mask, 0, out, k * WORDS, WORDS);
    }
    return out;
  }

  /** True if {@code row} may contain one of the keywords whose {@link #masks} are given. */
  boolean mayContainAny(int row, long[] masks) {
    int base = row * WORDS;
    long s0 = bits[base];
    long s1 = bits[base + 1];
    long s2 = bits[base + 2];
    long s3 = bits[base + 3];
    for (int m = 0; m < masks.length; m += WORDS) {
      if ((s0 & masks[m]) == masks[m] && (s1 & masks[m + 1]) == masks[m + 1]
          && (s2 & masks[m + 2]) == masks[m + 2] && (s3 & masks[m + 3]) == masks[m + 3]) {
        return true;
      }
    }
    return false;
  }

  /** Bytes held. */
  long bytes() {
    return (long) bits.length * Long.BYTES;
  }
}
