package dev.labelflight.engine.lf.regex;

import dev.labelflight.engine.lf.regex.RegexNode.Kind;
import dev.labelflight.engine.lf.unicode.WordCharacters;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The code points of a {@link CodePointProgram} split into classes it cannot tell apart: two code points
 * share a class when every character class of the program holds both or neither, and they agree on what
 * the program's assertions ask of a neighbour (word character, newline). Unicode {@code \w} alone has
 * hundreds of ranges, but ranges that behave alike share one class, so a pattern has a handful of classes
 * and its {@link CodePointDfa} a narrow table. Lookup is an array load below U+0800 (ASCII and the two-byte
 * sequences: Latin, Greek, Cyrillic, Hebrew, Arabic...) and a binary search over the class boundaries above
 * it, so that a pattern's classes take a few KiB of heap. Immutable.
 */
final class CodePointClasses {
  /** Code points below this (one- and two-byte UTF-8) are looked up in {@link #low}. */
  private static final int LOW = 0x800;

  /** Class of each code point below {@link #LOW} (4 KiB: a compiled LF set may hold thousands of patterns). */
  final char[] low;
  /** Above {@link #LOW}: class of the code points from {@code upperStart[k]} to the next start. */
  private final int[] upperStart;
  private final int[] upperClass;
  /** A code point of each class. */
  final int[] representative;
  final int count;

  private CodePointClasses(char[] low, int[] upperStart, int[] upperClass, int[] representative) {
    this.low = low;
    this.upperStart = upperStart;
    this.upperClass = upperClass;
    this.representative = representative;
    this.count = representative.length;
  }

  /** The classes of {@code program}; word characters are told apart when it uses {@code \b} or {@code \B}. */
  static CodePointClasses of(CodePointProgram program) {
    boolean words = false;
    for (int pc = 0; pc < program.size; pc++) {
      if (program.op[pc] == CodePointProgram.ASSERT) {
        Kind k = Kind.values()[program.arg[pc]];
        words |= k == Kind.WORD_BOUNDARY || k == Kind.NOT_WORD_BOUNDARY;
      }
    }
    TreeSet<Integer> bounds = new TreeSet<>();
    bounds.add(0);
    bounds.add((int) '\n');
    bounds.add('\n' + 1);
    bounds.add(0x80);
    bounds.add(LOW);
    for (int[] ranges : program.classes) {
      addBounds(bounds, ranges);
    }
    if (words) {
      addBounds(bounds, WordCharacters.wordRanges());
    }
    bounds.add(Character.MAX_CODE_POINT + 1);
    Integer[] starts = bounds.toArray(Integer[]::new);
    Map<Signature, Integer> ids = new HashMap<>();
    List<Integer> representatives = new ArrayList<>();
    int[] segmentClass = new int[starts.length - 1];
    int classes = program.classes.length;
    for (int k = 0; k + 1 < starts.length; k++) {
      int cp = starts[k];
      long[] bits = new long[(classes + 2 + 63) >>> 6];
      for (int c = 0; c < classes; c++) {
        if (program.inClass(c, cp)) {
          bits[c >>> 6] |= 1L << c;
        }
      }
      if (words && WordCharacters.isWord(cp)) {
        bits[classes >>> 6] |= 1L << classes;
      }
      if (cp == '\n') {
        bits[(classes + 1) >>> 6] |= 1L << (classes + 1);
      }
      Integer id = ids.get(new Signature(bits));
      if (id == null) {
        id = representatives.size();
        if (id > Character.MAX_VALUE) {
          throw new UnsupportedRegexException("too many character classes");
        }
        ids.put(new Signature(bits), id);
        representatives.add(cp);
      }
      segmentClass[k] = id;
    }
    int[] upperStart = new int[starts.length];
    int[] upperClass = new int[starts.length];
    int upper = 0;
    char[] low = new char[LOW];
    for (int k = 0; k + 1 < starts.length; k++) {
      int from = starts[k];
      int to = starts[k + 1];
      if (from < LOW) {
        Arrays.fill(low, from, Math.min(to, LOW), (char) segmentClass[k]);
      } else {
        upperStart[upper] = from;
        upperClass[upper++] = segmentClass[k];
      }
    }
    return new CodePointClasses(low, Arrays.copyOf(upperStart, upper), Arrays.copyOf(upperClass, upper),
        representatives.stream().mapToInt(Integer::intValue).toArray());
  }

  /** The class of code point {@code cp} (0 to U+10FFFF). */
  int classOf(int cp) {
    if (cp < LOW) {
      return low[cp];
    }
    int k = Arrays.binarySearch(upperStart, cp);
    return upperClass[k >= 0 ? k : -k - 2];
  }

  private static void addBounds(TreeSet<Integer> bounds, int[] ranges) {
    for (int i = 0; i + 1 < ranges.length; i += 2) {
      bounds.add(ranges[i]);
      bounds.add(ranges[i + 1] + 1);
    }
  }

  /** Which classes hold a code point, and its word and newline flags, as a key. */
  private record Signature(long[] bits) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Signature other && Arrays.equals(bits, other.bits);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bits);
    }
  }
}
