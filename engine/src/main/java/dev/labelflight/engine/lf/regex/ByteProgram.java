package dev.labelflight.engine.lf.regex;

import dev.labelflight.engine.lf.regex.RegexNode.Alternation;
import dev.labelflight.engine.lf.regex.RegexNode.Assertion;
import dev.labelflight.engine.lf.regex.RegexNode.Chars;
import dev.labelflight.engine.lf.regex.RegexNode.Concat;
import dev.labelflight.engine.lf.regex.RegexNode.Empty;
import dev.labelflight.engine.lf.regex.RegexNode.Kind;
import dev.labelflight.engine.lf.regex.RegexNode.Repeat;
import java.util.Arrays;
import java.util.List;

/**
 * A Thompson NFA over bytes compiled from a {@link RegexNode}: instructions consume one byte in a range,
 * split, check an assertion, or match. The unanchored form starts with a loop over any byte that may
 * enter the pattern at every character start; the full-match form requires the end of text before
 * matching. Immutable once built.
 */
final class ByteProgram {
  static final int BYTE = 0;
  static final int SPLIT = 1;
  static final int ASSERT = 2;
  static final int MATCH = 3;
  /** Beyond this many instructions (large counted repeats) the pattern stays with RE2J. */
  static final int MAX_INSTRUCTIONS = 20_000;

  int[] op = new int[64];
  /** BYTE: low byte; ASSERT: the {@link Kind} ordinal. */
  int[] lo = new int[64];
  /** BYTE: high byte. */
  int[] hi = new int[64];
  int[] out = new int[64];
  /** SPLIT: the second branch. */
  int[] out1 = new int[64];
  int size;
  int start;
  /** Bit set of the {@link Kind} ordinals the program uses. */
  int assertions;

  static ByteProgram compile(RegexNode node, boolean fullMatch) {
    ByteProgram p = new ByteProgram();
    int match = p.emit(MATCH, 0, 0, -1, -1);
    if (fullMatch) {
      p.start = p.compile(node, p.emitAssert(Kind.END_TEXT, match));
    } else {
      int entry = p.compile(node, match);
      int loop = p.emit(SPLIT, 0, 0, -1, -1);
      int anyByte = p.emit(BYTE, 0, 0xFF, loop, -1);
      int guard = p.emitAssert(Kind.CHAR_START, entry);
      p.out[loop] = guard;
      p.out1[loop] = anyByte;
      p.start = loop;
    }
    return p;
  }

  boolean uses(Kind kind) {
    return (assertions & (1 << kind.ordinal())) != 0;
  }

  private int emitAssert(Kind kind, int next) {
    assertions |= 1 << kind.ordinal();
    return emit(ASSERT, kind.ordinal(), 0, next, -1);
  }

  private int emit(int o, int l, int h, int next, int next1) {
    if (size >= MAX_INSTRUCTIONS) {
      throw new UnsupportedRegexException("pattern too large");
    }
    if (size == op.length) {
      int n = size * 2;
      op = Arrays.copyOf(op, n);
      lo = Arrays.copyOf(lo, n);
      hi = Arrays.copyOf(hi, n);
      out = Arrays.copyOf(out, n);
      out1 = Arrays.copyOf(out1, n);
    }
    op[size] = o;
    lo[size] = l;
    hi[size] = h;
    out[size] = next;
    out1[size] = next1;
    return size++;
  }

  /** Compiles {@code node} so that it continues at {@code next}; returns its entry instruction. */
  private int compile(RegexNode node, int next) {
    if (node instanceof Empty) {
      return next;
    } else if (node instanceof Chars chars) {
      return chars(chars.ranges(), next);
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
        entry = emit(SPLIT, 0, 0, compile(branches.get(i), next), entry);
      }
      return entry;
    } else if (node instanceof Repeat r) {
      int tail;
      if (r.max() < 0) {
        int loop = emit(SPLIT, 0, 0, -1, next);
        int body = compile(r.item(), loop); // may grow the arrays: assign after
        out[loop] = body;
        tail = loop;
      } else {
        tail = next;
        for (int i = r.min(); i < r.max(); i++) {
          tail = emit(SPLIT, 0, 0, compile(r.item(), tail), next);
        }
      }
      for (int i = 0; i < r.min(); i++) {
        tail = compile(r.item(), tail);
      }
      return tail;
    } else if (node instanceof Assertion a) {
      return emitAssert(a.kind(), next);
    }
    throw new IllegalStateException(node.toString());
  }

  private int chars(int[] ranges, int next) {
    int entry = -1;
    for (int i = ranges.length - 2; i >= 0; i -= 2) {
      List<int[]> sequences = Utf8Sequences.of(ranges[i], ranges[i + 1]);
      for (int s = sequences.size() - 1; s >= 0; s--) {
        int[] seq = sequences.get(s);
        int pc = next;
        for (int b = seq.length - 2; b >= 0; b -= 2) {
          pc = emit(BYTE, seq[b], seq[b + 1], pc, -1);
        }
        entry = entry < 0 ? pc : emit(SPLIT, 0, 0, pc, entry);
      }
    }
    // An empty set matches nothing: a byte range no byte is in.
    return entry >= 0 ? entry : emit(BYTE, 1, 0, next, -1);
  }
}
