package dev.labelflight.engine.lf.unicode;

/** Decoding and encoding single code points of UTF-8 text held in byte arrays, without objects. */
public final class Utf8 {
  /** What a malformed or truncated sequence decodes to (as Java's decoder reads it). */
  public static final int REPLACEMENT = 0xFFFD;

  private Utf8() {}

  /** Bytes of the sequence a lead byte starts (1 for ASCII and for bytes that cannot start one). */
  public static int length(byte lead) {
    int b = lead & 0xFF;
    return b < 0xC2 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF5 ? 4 : 1;
  }

  /**
   * The code point whose encoding starts at {@code at} (and ends before {@code to}), or {@link #REPLACEMENT}
   * if the bytes there are not a well-formed sequence.
   */
  public static int decode(byte[] data, int at, int to) {
    int b = data[at] & 0xFF;
    if (b < 0x80) {
      return b;
    }
    int n = length(data[at]);
    if (n == 1 || at + n > to) {
      return REPLACEMENT;
    }
    int cp = b & (0x7F >> n);
    for (int i = 1; i < n; i++) {
      int c = data[at + i] & 0xFF;
      if ((c & 0xC0) != 0x80) {
        return REPLACEMENT;
      }
      cp = cp << 6 | (c & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are malformed.
    if (n == 3 && (cp < 0x800 || cp >= 0xD800 && cp <= 0xDFFF) || n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) {
      return REPLACEMENT;
    }
    return cp;
  }

  /** Bytes the sequence at {@code at} takes: its length if its continuation bytes are there, else 1. */
  public static int advance(byte[] data, int at, int to) {
    int n = length(data[at]);
    if (n == 1 || at + n > to) {
      return 1;
    }
    for (int i = 1; i < n; i++) {
      if ((data[at + i] & 0xC0) != 0x80) {
        return 1;
      }
    }
    return n;
  }

  /** Writes {@code cp} as UTF-8 at {@code out[at]}; returns the bytes written (1 to 4). */
  public static int encode(int cp, byte[] out, int at) {
    if (cp < 0x80) {
      out[at] = (byte) cp;
      return 1;
    }
    if (cp < 0x800) {
      out[at] = (byte) (0xC0 | cp >> 6);
      out[at + 1] = (byte) (0x80 | cp & 0x3F);
      return 2;
    }
    if (cp < 0x10000) {
      out[at] = (byte) (0xE0 | cp >> 12);
      out[at + 1] = (byte) (0x80 | cp >> 6 & 0x3F);
      out[at + 2] = (byte) (0x80 | cp & 0x3F);
      return 3;
    }
    out[at] = (byte) (0xF0 | cp >> 18);
    out[at + 1] = (byte) (0x80 | cp >> 12 & 0x3F);
    out[at + 2] = (byte) (0x80 | cp >> 6 & 0x3F);
    out[at + 3] = (byte) (0x80 | cp & 0x3F);
    return 4;
  }

  /** Whether {@code data[from, to)} holds only ASCII bytes (eight at a time). */
  public static boolean isAscii(byte[] data, int from, int to) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      if (((long) LONGS.get(data, i) & 0x8080808080808080L) != 0) {
        return false;
      }
    }
    for (; i < to; i++) {
      if (data[i] < 0) {
        return false;
      }
    }
    return true;
  }

  private static final java.lang.invoke.VarHandle LONGS =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
}
