package dev.labelflight.engine.lf.regex;

import dev.labelflight.engine.lf.regex.RegexNode.Kind;
import dev.labelflight.engine.cancel.CancelToken;

/**
 * A DFA built lazily from a {@link ByteProgram}, one transition at a time as rows need it (RE2's
 * approach). A state is a set of NFA instructions not yet followed through empty-width assertions plus
 * what is known of the previous byte (start of text, word byte, newline), so that {@code \b ^ $} are
 * decided once the next byte, or the end of text, is known. The table is {@code int[states x stride]}
 * over byte classes plus an end-of-text column, holding the next state's row offset. Its size is bounded:
 * when full the cache is cleared and rebuilt from the current state; a row that needs too many clears
 * gets {@link #GAVE_UP} and the caller answers it (and the rest of its chunk) with its slow engine (the NFA
 * simulation, or RE2J). Not thread-safe: one instance per evaluating thread ({@link ByteRegex} pools them).
 */
public final class LazyDfa {
  /** {@link #matches} result when the cache thrashed on the row. */
  public static final int GAVE_UP = -1;
  /** Bytes of a row scanned between cancellation checks: about a millisecond. */
  static final int CHECK_BYTES = 1 << 20;
  /** Instructions followed while building states between cancellation checks. */
  static final int CHECK_WORK = 1 << 16;
    private static final int MAX_RESETS_PER_ROW = 4;
  private static final Kind[] KINDS = Kind.values();
  private static final int BEFORE_START = 1;
  private static final int BEFORE_WORD = 2;
  private static final int BEFORE_NEWLINE = 4;

  private final ByteProgram program;
  private final int[] classOf;
  private final int[] representative;
  private final int endClass;
  private final int stride;
  private final int maxStates;
  /** The before-flags worth keeping in a state: the others are never asked. */
  private final int trackedFlags;
  private final int dead;
  private final int match;
  private final int start;

  private final DfaStates states;
  private int resetsThisRow;
  private long resets;
  private int work;

  // Scratch for closures and steps (slow path only).
  private final int[] visited;
  private int generation;
  private final int[] stack;
  private final int[] nextSet;

  LazyDfa(ByteProgram program, int[] classOf, int classes, int maxStates) {
    this.program = program;
    this.classOf = classOf;
    this.representative = new int[classes];
    for (int b = 255; b >= 0; b--) {
      representative[classOf[b]] = b;
    }
    this.endClass = classes;
    this.stride = classes + 1;
    this.maxStates = Math.max(maxStates, 4);
    int flags = 0;
    if (program.uses(Kind.BEGIN_TEXT) || program.uses(Kind.BEGIN_LINE)) {
      flags |= BEFORE_START;
    }
    if (program.uses(Kind.WORD_BOUNDARY) || program.uses(Kind.NOT_WORD_BOUNDARY)) {
      flags |= BEFORE_WORD;
    }
    if (program.uses(Kind.BEGIN_LINE)) {
      flags |= BEFORE_NEWLINE;
    }
    this.trackedFlags = flags;
    this.dead = 0;
    this.match = stride;
    this.start = 2 * stride;
    this.visited = new int[program.size];
    this.stack = new int[3 * program.size + 2]; // each visited instruction pushes at most two
    this.nextSet = new int[program.size];
    this.states = new DfaStates(stride, this.maxStates + 1);
    clear();
  }

  /** Cache clears so far (for tests and diagnostics). */
  public long resets() {
    return resets;
  }

  /** States in the cache now, the dead and match states included. */
  public int states() {
    return states.size();
  }

  /**
   * 1 if {@code data[from, to)} matches, 0 if not, {@link #GAVE_UP} if the cache thrashed on it. Checks the
   * thread's {@link CancelToken} after every {@link #CHECK_BYTES} bytes of a long row, and every
   * {@link #CHECK_WORK} instructions followed while building states.
   */
  public int matches(byte[] data, int from, int to) {
    resetsThisRow = 0;
    int[] t = states.table;
    int[] classes = classOf;
    int limit = start;
    int s = start;
    int blockFrom = from;
    while (true) {
      // Rows are scanned in blocks so that a long one checks for cancellation without a test per byte.
      int blockTo = to - blockFrom > CHECK_BYTES ? blockFrom + CHECK_BYTES : to;
      for (int i = blockFrom; i < blockTo; i++) {
        int c = classes[data[i] & 0xFF];
        int next = t[s + c];
        if (next < limit) {
          if (next == dead) {
            return 0;
          }
          if (next == match) {
            return 1;
          }
          next = transition(s, c);
          if (next == GAVE_UP) {
            return GAVE_UP;
          }
          t = states.table;
          if (next == dead) {
            return 0;
          }
          if (next == match) {
            return 1;
          }
        }
        s = next;
      }
      if (blockTo == to) {
        break;
      }
      CancelToken.check();
      blockFrom = blockTo;
    }
    int end = t[s + endClass];
    if (end == DfaStates.UNKNOWN) {
      end = transition(s, endClass);
      if (end == GAVE_UP) {
        return GAVE_UP;
      }
    }
    return end == match ? 1 : 0;
  }

  private void clear() {
    states.clear();
    states.addSink(dead);
    states.addSink(match);
    states.intern(new int[] {program.start, BEFORE_START & trackedFlags});
  }

  /** Computes, stores and returns the transition of state offset {@code s} on class {@code c}. */
  private int transition(int s, int c) {
    int[] key = states.key(s);
    int n = key.length - 1;
    int before = key[n];
    boolean atEnd = c == endClass;
    int b = atEnd ? -1 : representative[c];
    // Follow empty-width instructions now that the next byte is known; collect the byte instructions.
    generation++;
    int top = 0;
    int found = 0;
    boolean matched = false;
    for (int i = 0; i < n; i++) {
      stack[top++] = key[i];
    }
    while (top > 0) {
      int pc = stack[--top];
      if (visited[pc] == generation) {
        continue;
      }
      visited[pc] = generation;
      if (++work == CHECK_WORK) {
        work = 0;
        CancelToken.check();
      }
      switch (program.op[pc]) {
        case ByteProgram.BYTE -> {
          if (!atEnd && b >= program.lo[pc] && b <= program.hi[pc]) {
            nextSet[found++] = program.out[pc];
          }
        }
        case ByteProgram.SPLIT -> {
          stack[top++] = program.out1[pc];
          stack[top++] = program.out[pc];
        }
        case ByteProgram.ASSERT -> {
          if (holds(program.lo[pc], before, b)) {
            stack[top++] = program.out[pc];
          }
        }
        default -> matched = true;
      }
    }
    int result;
    if (matched) {
      result = match;
    } else if (atEnd || found == 0) {
      result = dead;
    } else {
      int[] next = DfaStates.key(nextSet, found,
          trackedFlags & ((isWord(b) ? BEFORE_WORD : 0) | (b == '\n' ? BEFORE_NEWLINE : 0)));
      Integer known = states.find(next);
      if (known != null) {
        result = known;
      } else {
        if (states.full(maxStates, next.length)) {
          if (++resetsThisRow > MAX_RESETS_PER_ROW) {
            return GAVE_UP;
          }
          resets++;
          clear();
          s = states.intern(key);
        }
        result = states.intern(next);
      }
    }
    states.table[s + c] = result;
    return result;
  }

  private boolean holds(int kind, int before, int b) {
    boolean atEnd = b < 0;
    boolean atStart = (before & BEFORE_START) != 0;
    return switch (KINDS[kind]) {
      case BEGIN_TEXT -> atStart;
      case END_TEXT -> atEnd;
      case BEGIN_LINE -> atStart || (before & BEFORE_NEWLINE) != 0;
      case END_LINE -> atEnd || b == '\n';
      case WORD_BOUNDARY -> ((before & BEFORE_WORD) != 0) != (!atEnd && isWord(b));
      case NOT_WORD_BOUNDARY -> ((before & BEFORE_WORD) != 0) == (!atEnd && isWord(b));
      case CHAR_START -> atEnd || (b & 0xC0) != 0x80;
    };
  }

  static boolean isWord(int b) {
    return b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b == '_';
  }
}
