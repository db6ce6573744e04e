package dev.labelflight.engine.lf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** A fixed set of strings, looked up by a byte range without building a String. */
public final class ByteStringSet {
  private final byte[][] table;

  public ByteStringSet(List<String> values) {
    int capacity = Integer.highestOneBit(Math.max(4, values.size() * 2 - 1)) << 1;
    table = new byte[capacity][];
    for (String value : values) {
      byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
      int i = hash(bytes, 0, bytes.length) & (capacity - 1);
      while (table[i] != null && !Arrays.equals(table[i], bytes)) {
        i = (i + 1) & (capacity - 1);
      }
      table[i] = bytes;
    }
  }

  public boolean contains(byte[] data, int from, int to) {
    int mask = table.length - 1;
    int i = hash(data, from, to) & mask;
    byte[] entry;
    while ((entry = table[i]) != null) {
      if (Arrays.equals(entry, 0, entry.length, data, from, to)) {
        return true;
      }
      i = (i + 1) & mask;
    }
    return false;
  }

  private static int hash(byte[] data, int from, int to) {
    int h = 0x811c9dc5;
    for (int i = from; i < to; i++) {
      h = (h ^ data[i]) * 0x01000193;
    }
    return h ^ (h >>> 16);
  }
}
