package dev.labelflight.engine.lf.regex;

import dev.labelflight.engine.lf.regex.RegexNode.Alternation;
import dev.labelflight.engine.lf.regex.RegexNode.Assertion;
import dev.labelflight.engine.lf.regex.RegexNode.Chars;
import dev.labelflight.engine.lf.regex.RegexNode.Concat;
import dev.labelflight.engine.lf.regex.RegexNode.Empty;
import dev.labelflight.engine.lf.regex.RegexNode.Kind;
import dev.labelflight.engine.lf.regex.RegexNode.Repeat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A Thompson NFA over code points compiled from a {@link RegexNode}: instructions consume one code point
 * in a class, split, check an assertion, or match. Classes are kept as range arrays (with a bitmap for
 * ASCII), not expanded to UTF-8, so the program is as small as RE2J's. The full-match form requires the end
 * of the text before matching; the search form is run unanchored by {@link UnicodeNfa}. Immutable once built.
 */
final class CodePointProgram {
  static final int CHAR = 0;
  static final int SPLIT = 1;
  static final int ASSERT = 2;
  static final int MATCH = 3;

  int[] op = new int[64];
  /** CHAR: index into {@link #classes}; ASSERT: the {@link Kind} ordinal. */
  int[] arg = new int[64];
  int[] out = new int[64];
  /** SPLIT: the second branch. */
  int[] out1 = new int[64];
  int size;
  int start;
  /** Each distinct class's ranges, and bits 0-63 / 64-127 of its ASCII members. */
  int[][] classes;
  long[] asciiLow;
  long[] asciiHigh;
  private final List<int[]> classList = new ArrayList<>();
  private final java.util.Map<Ranges, Integer> classIds = new java.util.HashMap<>();
  private final int maxSize;

  private CodePointProgram(int maxSize) {
    this.maxSize = maxSize;
  }

  /** The program of {@code node}; {@link UnsupportedRegexException} beyond {@code maxSize} instructions. */
  static CodePointProgram compile(RegexNode node, boolean fullMatch, int maxSize) {
    CodePointProgram p = new CodePointProgram(maxSize);
    int match = p.emit(MATCH, 0, -1, -1);
    p.start = p.compile(node, fullMatch ? p.emit(ASSERT, Kind.END_TEXT.ordinal(), match, -1) : match);
    p.classes = p.classList.toArray(int[][]::new);
    p.asciiLow = new long[p.classes.length];
    p.asciiHigh = new long[p.classes.length];
    for (int c = 0; c < p.classes.length; c++) {
      int[] r = p.classes[c];
      for (int i = 0; i < r.length && r[i] < 0x80; i += 2) {
        for (int cp = r[i]; cp <= Math.min(r[i + 1], 0x7F); cp++) {
          if (cp < 64) {
            p.asciiLow[c] |= 1L << cp;
          } else {
            p.asciiHigh[c] |= 1L << (cp - 64);
          }
        }
      }
    }
    return p;
  }

  /** Whether class {@code c} holds {@code cp}. */
  boolean inClass(int c, int cp) {
    if (cp < 64) {
      return (asciiLow[c] & 1L << cp) != 0;
    }
    if (cp < 128) {
      return (asciiHigh[c] & 1L << (cp - 64)) != 0;
    }
    int[] r = classes[c];
    int lo = 0;
    int hi = r.length / 2 - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (cp < r[2 * mid]) {
        hi = mid - 1;
      } else if (cp > r[2 * mid + 1]) {
        lo = mid + 1;
      } else {
        return true;
      }
    }
    return false;
  }

  private int emit(int o, int a, int next, int next1) {
    if (size >= maxSize) {
      throw new UnsupportedRegexException("pattern too large");
    }
    if (size == op.length) {
      int n = size * 2;
      op = Arrays.copyOf(op, n);
      arg = Arrays.copyOf(arg, n);
      out = Arrays.copyOf(out, n);
      out1 = Arrays.copyOf(out1, n);
    }
    op[size] = o;
    arg[size] = a;
    out[size] = next;
    out1[size] = next1;
    return size++;
  }

  private int classIndex(int[] ranges) {
    return classIds.computeIfAbsent(new Ranges(ranges), r -> {
      classList.add(ranges);
      return classList.size() - 1;
    });
  }

  /** Ranges as a map key. */
  private record Ranges(int[] ranges) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Ranges other && Arrays.equals(ranges, other.ranges);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(ranges);
    }
  }

  /** Compiles {@code node} so that it continues at {@code next}; returns its entry instruction. */
  private int compile(RegexNode node, int next) {
    if (node instanceof Empty) {
      return next;
    } else if (node instanceof Chars chars) {
      return emit(CHAR, classIndex(chars.ranges()), next, -1);
    } else if (node instanceof Concat concat) {
      List<RegexNode> items = concat.items();
      for (int i = items.size() - 1; i >= 0; i--) {
        next = compile(items.get(i), next);
      }
      return next;
    } else if (node instanceof Alternation alt) {
      List<RegexNode> branches = alt.branches();
      int entry = compile(branches.get(branches.size() - 1), next);
      for (int i = branches.size() - 2; i >= 0; i--) {
        entry = emit(SPLIT, 0, compile(branches.get(i), next), entry);
      }
      return entry;
    } else if (node instanceof Repeat r) {
      int tail;
      if (r.max() < 0) {
        int loop = emit(SPLIT, 0, -1, next);
        int body = compile(r.item(), loop); // may grow the arrays: assign after
        out[loop] = body;
        tail = loop;
      } else {
        tail = next;
        for (int i = r.min(); i < r.max(); i++) {
          tail = emit(SPLIT, 0, compile(r.item(), tail), next);
        }
      }
      for (int i = 0; i < r.min(); i++) {
        tail = compile(r.item(), tail);
      }
      return tail;
    } else if (node instanceof Assertion a) {
      return emit(ASSERT, a.kind().ordinal(), next, -1);
    }
    throw new IllegalStateException(node.toString());
  }
}
