package dev.labelflight.engine.lf.regex;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a code point range into the byte-range sequences whose concatenations are exactly the UTF-8
 * encodings of its code points (the standard split at encoding-length and continuation-byte boundaries,
 * surrogates left out). Each sequence is {@code [lo0, hi0, lo1, hi1, ...]}, one pair per byte.
 */
final class Utf8Sequences {
  private static final int[] MAX_OF_LENGTH = {0x7F, 0x7FF, 0xFFFF};

  private Utf8Sequences() {}

  static List<int[]> of(int lo, int hi) {
    List<int[]> out = new ArrayList<>();
    split(lo, hi, out);
    return out;
  }

  private static void split(int lo, int hi, List<int[]> out) {
    if (lo > hi) {
      return;
    }
    if (lo <= 0xDFFF && hi >= 0xD800) {
      split(lo, Math.min(hi, 0xD7FF), out);
      split(Math.max(lo, 0xE000), hi, out);
      return;
    }
    for (int max : MAX_OF_LENGTH) {
      if (lo <= max && hi > max) {
        split(lo, max, out);
        split(max + 1, hi, out);
        return;
      }
    }
    int length = length(hi);
    for (int i = 1; i < length; i++) {
      int m = (1 << (6 * i)) - 1;
      if ((lo & ~m) != (hi & ~m)) {
        if ((lo & m) != 0) {
          split(lo, lo | m, out);
          split((lo | m) + 1, hi, out);
          return;
        }
        if ((hi & m) != m) {
          split(lo, (hi & ~m) - 1, out);
          split(hi & ~m, hi, out);
          return;
        }
      }
    }
    byte[] a = encode(lo);
    byte[] b = encode(hi);
    int[] seq = new int[2 * a.length];
    for (int i = 0; i < a.length; i++) {
      seq[2 * i] = a[i] & 0xFF;
      seq[2 * i + 1] = b[i] & 0xFF;
    }
    out.add(seq);
  }

  private static int length(int cp) {
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }

  static byte[] encode(int cp) {
    return new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
