package dev.labelflight.engine.lf.regex;

import java.util.Arrays;

/** A growable list of inclusive code point ranges, normalized to sorted, merged form on {@link #toArray}. */
final class CodePointRanges {
  static final int MAX = 0x10FFFF;
  private static final int KELVIN_SIGN = 0x212A;
  private static final int LONG_S = 0x017F;

  private int[] pairs = new int[8];
  private int size;

  CodePointRanges add(int lo, int hi) {
    if (size + 2 > pairs.length) {
      pairs = Arrays.copyOf(pairs, pairs.length * 2);
    }
    pairs[size++] = lo;
    pairs[size++] = hi;
    return this;
  }

  CodePointRanges addAll(int[] ranges) {
    for (int i = 0; i < ranges.length; i += 2) {
      add(ranges[i], ranges[i + 1]);
    }
    return this;
  }

  /**
   * Adds {@code [lo, hi]} and, when {@code fold}, every code point that RE2J's Unicode simple case folding
   * makes equal to one in it. Only ASCII is modelled (its orbits include U+212A KELVIN SIGN for k and
   * U+017F LONG S for s); a folded range with other code points is unsupported.
   */
  CodePointRanges add(int lo, int hi, boolean fold) {
    add(lo, hi);
    if (!fold) {
      return this;
    }
    if (hi >= 0x80) {
      throw new UnsupportedRegexException("case folding of non-ASCII characters");
    }
    for (int c = lo; c <= hi; c++) {
      if (c >= 'a' && c <= 'z') {
        add(c - 32, c - 32);
      } else if (c >= 'A' && c <= 'Z') {
        add(c + 32, c + 32);
      }
      if (c == 'k' || c == 'K') {
        add(KELVIN_SIGN, KELVIN_SIGN);
      } else if (c == 's' || c == 'S') {
        add(LONG_S, LONG_S);
      }
    }
    return this;
  }

  /** The ranges sorted, merged and adjacent ones joined, as {@code [lo0, hi0, lo1, hi1, ...]}. */
  int[] toArray() {
    int n = size / 2;
    long[] packed = new long[n];
    for (int i = 0; i < n; i++) {
      packed[i] = ((long) pairs[2 * i] << 32) | pairs[2 * i + 1];
    }
    Arrays.sort(packed);
    int[] out = new int[size];
    int len = 0;
    for (long p : packed) {
      int lo = (int) (p >>> 32);
      int hi = (int) p;
      if (len > 0 && lo <= out[len - 1] + 1) {
        out[len - 1] = Math.max(out[len - 1], hi);
      } else {
        out[len++] = lo;
        out[len++] = hi;
      }
    }
    return Arrays.copyOf(out, len);
  }

  /** The complement of normalized {@code ranges} within [0, 0x10FFFF]. */
  static int[] negate(int[] ranges) {
    CodePointRanges out = new CodePointRanges();
    int next = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      if (ranges[i] > next) {
        out.add(next, ranges[i] - 1);
      }
      next = ranges[i + 1] + 1;
    }
    if (next <= MAX) {
      out.add(next, MAX);
    }
    return out.toArray();
  }
}
