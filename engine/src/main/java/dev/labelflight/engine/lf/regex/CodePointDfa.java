package dev.labelflight.engine.lf.regex;

import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.lf.regex.RegexNode.Kind;
import dev.labelflight.engine.lf.unicode.Utf8;
import dev.labelflight.engine.lf.unicode.WordCharacters;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A DFA built lazily from a {@link CodePointProgram}, one transition at a time, reading UTF-8 one code point
 * at a time: an ASCII byte is its own character (one array load for its class), a longer sequence is decoded
 * and looked up in the program's {@link CodePointClasses}. Unlike the byte DFA ({@link LazyDfa}) it decides
 * Unicode {@code \b \B} exactly, since a state remembers whether the previous <em>character</em> was a word
 * character, so non-ASCII rows of patterns with Unicode classes stay on the fast path instead of going to
 * the NFA. Malformed sequences read as U+FFFD, as {@link UnicodeNfa} reads them.
 *
 * <p>A state is the set of instructions waiting for the next character plus what is known of the previous
 * one (start of text, word character, newline). Searches (not full matches) add the program's start at every
 * position; their <em>idle</em> states (nothing waiting) are interned first, so that a transition into one is
 * recognised by its offset alone. From an idle state the scan skips ahead to the next byte that can leave the
 * idle states ({@link #escapes}, found once from the table): that is a plain loop over bytes with no
 * dependency from one byte to the next, several times faster than stepping the table, and most text is
 * skipped that way. A scan whose skips stop almost at once gives skipping up.
 *
 * <p>The cache is bounded as the byte DFA's is: cleared when full, {@link LazyDfa#GAVE_UP} when a row needs
 * too many clears (the NFA answers it). Cancellation is checked every {@link LazyDfa#CHECK_BYTES} bytes and
 * every {@link LazyDfa#CHECK_WORK} instructions followed. Not thread-safe: one per evaluating thread.
 */
final class CodePointDfa {
    private static final int MAX_RESETS_PER_ROW = 4;
  private static final Kind[] KINDS = Kind.values();
  private static final int BEFORE_START = 1;
  private static final int BEFORE_WORD = 2;
  private static final int BEFORE_NEWLINE = 4;
  /** Programs larger than this do not look for escape bytes (each idle transition follows the whole program). */
  private static final int MAX_SKIP_PROGRAM = 4096;
  /** Skips between checks of whether skipping pays, and the bytes they must skip on average to keep it on. */
  private static final int SKIP_SAMPLE = 4096;
  private static final int MIN_BYTES_PER_SKIP = 8;
  private static final int MAX_WIDE_RANGES = 4;
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGH = 0x8080808080808080L;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final CodePointProgram program;
  private final CodePointClasses classes;
  private final boolean fullMatch;
  private final int endClass;
  private final int stride;
  private final int maxStates;
  private final int trackedFlags;
  /** The before-flags a character leaves behind, by class. */
  private final int[] classFlags;
  private final int dead;
  private final int match;
  private final int start;
  /** Offsets from {@link #start} (included) to this are idle states; equal to {@link #start} for full matches. */
  private int idleLimit;
  private final int[] idleByFlags = new int[8];
  /** Per byte: whether it may leave the idle states (every byte above 0x7F does); null when not skipping. */
  private boolean[] escapes;
  /**
   * The ASCII escape bytes as at most {@link #MAX_WIDE_RANGES} ranges, as the two addends per range that test
   * eight bytes at once ({@link #skipWide}); null when they take more ranges (the byte loop serves then).
   */
  private long[] wideLow;
  private long[] wideHigh;
  private int skips;
  private long skipped;

  private final DfaStates states;
  private int fixedStates;
  private int resetsThisRow;
  private long resets;
  private int work;

  private final int[] visited;
  private int generation;
  private final int[] stack;
  private final int[] nextSet;

  CodePointDfa(CodePointProgram program, CodePointClasses classes, boolean fullMatch, int maxStates) {
    this.program = program;
    this.classes = classes;
    this.fullMatch = fullMatch;
    this.endClass = classes.count;
    this.stride = classes.count + 1;
    this.maxStates = Math.max(maxStates, 4);
    int flags = 0;
    for (int pc = 0; pc < program.size; pc++) {
      if (program.op[pc] == CodePointProgram.ASSERT) {
        switch (KINDS[program.arg[pc]]) {
          case BEGIN_TEXT -> flags |= BEFORE_START;
          case BEGIN_LINE -> flags |= BEFORE_START | BEFORE_NEWLINE;
          case WORD_BOUNDARY, NOT_WORD_BOUNDARY -> flags |= BEFORE_WORD;
          default -> { }
        }
      }
    }
    this.trackedFlags = flags;
    this.classFlags = new int[classes.count];
    for (int c = 0; c < classes.count; c++) {
      int cp = classes.representative[c];
      classFlags[c] = flags & ((WordCharacters.isWord(cp) ? BEFORE_WORD : 0) | (cp == '\n' ? BEFORE_NEWLINE : 0));
    }
    this.dead = 0;
    this.match = stride;
    this.start = 2 * stride;
    this.visited = new int[program.size];
    this.stack = new int[3 * program.size + 3];
    this.nextSet = new int[program.size];
    this.states = new DfaStates(stride, this.maxStates + 8);
    clear();
    if (!fullMatch && program.size <= MAX_SKIP_PROGRAM) {
      escapes = findEscapes();
      wideRanges(escapes);
    }
  }

  /** Cache clears so far. */
  long resets() {
    return resets;
  }

  /** Whether this DFA skips ahead from idle states (for tests). */
  boolean skipping() {
    return escapes != null;
  }

  /**
   * 1 if {@code data[from, to)} matches, 0 if not, {@link LazyDfa#GAVE_UP} if the cache thrashed on it.
   */
  int matches(byte[] data, int from, int to) {
    resetsThisRow = 0;
    int[] t = states.table;
    char[] low = classes.low;
    boolean[] esc = escapes;
    int limit = esc != null ? idleLimit : start;
    int s = start;
    int i = from;
    while (true) {
      // Rows are scanned in blocks so that a long one checks for cancellation without a test per byte.
      int blockTo = to - i > LazyDfa.CHECK_BYTES ? i + LazyDfa.CHECK_BYTES : to;
      if (esc != null && s >= start && s < idleLimit) {
        int p = wideLow != null ? skipWide(data, i, blockTo) : skip(esc, data, i, blockTo);
        if (p > i) {
          s = idleByFlags[classFlags[low[data[p - 1]]]];
          i = p;
        }
      }
      while (i < blockTo) {
        int b = data[i];
        int c;
        if (b >= 0) {
          c = low[b];
          i++;
        } else {
          int n = Utf8.advance(data, i, to);
          c = classes.classOf(n == 1 ? Utf8.REPLACEMENT : Utf8.decode(data, i, to));
          i += n;
        }
        int next = t[s + c];
        if (next < limit) {
          if (next < start) {
            if (next == dead) {
              return 0;
            }
            if (next == match) {
              return 1;
            }
            next = transition(s, c);
            if (next == LazyDfa.GAVE_UP) {
              return LazyDfa.GAVE_UP;
            }
            t = states.table;
            if (next == dead) {
              return 0;
            }
            if (next == match) {
              return 1;
            }
          }
          if (esc != null && next >= start && next < idleLimit && i < blockTo) {
            int p = wideLow != null ? skipWide(data, i, blockTo) : skip(esc, data, i, blockTo);
            if (p > i) {
              // Every skipped byte is ASCII and keeps the scan idle: the state is the idle one it leaves.
              next = idleByFlags[classFlags[low[data[p - 1]]]];
              skipped += p - i;
              i = p;
            }
            if (++skips == SKIP_SAMPLE) {
              if (skipped < (long) MIN_BYTES_PER_SKIP * SKIP_SAMPLE) {
                escapes = esc = null; // the text keeps the scan busy: skipping only adds calls
                wideLow = null;
                limit = start;
              }
              skips = 0;
              skipped = 0;
            }
          }
        }
        s = next;
      }
      if (i >= to) {
        break;
      }
      CancelToken.check();
    }
    int end = t[s + endClass];
    if (end == DfaStates.UNKNOWN) {
      end = transition(s, endClass);
      if (end == LazyDfa.GAVE_UP) {
        return LazyDfa.GAVE_UP;
      }
    }
    return end == match ? 1 : 0;
  }

  /** The first position from {@code i} below {@code to} holding an escape byte, or {@code to}. */
  private static int skip(boolean[] esc, byte[] data, int i, int to) {
    while (i + 4 <= to) {
      if (esc[data[i] & 0xFF]) {
        return i;
      }
      if (esc[data[i + 1] & 0xFF]) {
        return i + 1;
      }
      if (esc[data[i + 2] & 0xFF]) {
        return i + 2;
      }
      if (esc[data[i + 3] & 0xFF]) {
        return i + 3;
      }
      i += 4;
    }
    while (i < to && !esc[data[i] & 0xFF]) {
      i++;
    }
    return i;
  }

  /**
   * As {@link #skip}, eight bytes at a time: a byte above 0x7F shows in its high bit, and an ASCII byte b in
   * [lo, hi] sets the high bit of {@code b + (0x80 - lo)} but not of {@code b + (0x7F - hi)}, with no carry
   * into the next byte. Only a byte above 0x7F carries, into later bytes: it is flagged itself, so the lowest
   * flag is still the first escape.
   */
  private int skipWide(byte[] data, int i, int to) {
    long[] low = wideLow;
    long[] high = wideHigh;
    while (i + 8 <= to) {
      long v = (long) LONGS.get(data, i);
      long m = v;
      for (int r = 0; r < low.length; r++) {
        m |= (v + low[r]) & ~(v + high[r]);
      }
      m &= HIGH;
      if (m != 0) {
        return i + (Long.numberOfTrailingZeros(m) >>> 3);
      }
      i += 8;
    }
    return skip(escapes, data, i, to);
  }

  /** Sets {@link #wideLow} and {@link #wideHigh} from the ASCII escape bytes, if few ranges hold them. */
  private void wideRanges(boolean[] esc) {
    List<long[]> ranges = new ArrayList<>();
    for (int b = 0; b < 0x80; b++) {
      if (esc[b] && (b == 0 || !esc[b - 1])) {
        int end = b;
        while (end + 1 < 0x80 && esc[end + 1]) {
          end++;
        }
        ranges.add(new long[] {(0x80L - b) * ONES, (0x7FL - end) * ONES});
      }
    }
    if (ranges.size() <= MAX_WIDE_RANGES) {
      wideLow = ranges.stream().mapToLong(r -> r[0]).toArray();
      wideHigh = ranges.stream().mapToLong(r -> r[1]).toArray();
    }
  }

  /**
   * The bytes after which a search may leave its idle states: a byte above 0x7F (decoded first), or an ASCII
   * byte on which some idle state steps out of them.
   */
  private boolean[] findEscapes() {
    boolean[] esc = new boolean[256];
    Arrays.fill(esc, 0x80, 256, true);
    int idleCount = (idleLimit - start) / stride;
    for (int b = 0; b < 0x80; b++) {
      int c = classes.low[b];
      for (int k = 0; k < idleCount && !esc[b]; k++) {
        int s = start + k * stride;
        int next = states.table[s + c];
        if (next == DfaStates.UNKNOWN) {
          next = transition(s, c);
        }
        if (next == LazyDfa.GAVE_UP || next < start || next >= idleLimit) {
          esc[b] = true;
        }
      }
    }
    return esc;
  }

  private void clear() {
    states.clear();
    states.addSink(dead);
    states.addSink(match);
    if (fullMatch) {
      states.intern(new int[] {program.start, BEFORE_START & trackedFlags});
      idleLimit = start;
    } else {
      // The idle states first: the start (nothing waiting, before the text) and one per flag a character leaves.
      states.intern(new int[] {BEFORE_START & trackedFlags});
      for (int f : new int[] {0, BEFORE_WORD, BEFORE_NEWLINE}) {
        if ((f & ~trackedFlags) == 0) {
          idleByFlags[f] = states.intern(new int[] {f});
        }
      }
      idleLimit = states.size() * stride;
    }
    fixedStates = states.size();
  }

  /** Computes, stores and returns the transition of state offset {@code s} on class {@code c}. */
  private int transition(int s, int c) {
    int[] key = states.key(s);
    int n = key.length - 1;
    int before = key[n];
    boolean atEnd = c == endClass;
    int cur = atEnd ? -1 : classes.representative[c];
    generation++;
    int top = 0;
    int found = 0;
    boolean matched = false;
    for (int i = 0; i < n; i++) {
      stack[top++] = key[i];
    }
    if (!fullMatch) {
      stack[top++] = program.start;
    }
    while (top > 0) {
      int pc = stack[--top];
      if (visited[pc] == generation) {
        continue;
      }
      visited[pc] = generation;
      if (++work == LazyDfa.CHECK_WORK) {
        work = 0;
        CancelToken.check();
      }
      switch (program.op[pc]) {
        case CodePointProgram.CHAR -> {
          if (!atEnd && program.inClass(program.arg[pc], cur)) {
            nextSet[found++] = program.out[pc];
          }
        }
        case CodePointProgram.SPLIT -> {
          stack[top++] = program.out1[pc];
          stack[top++] = program.out[pc];
        }
        case CodePointProgram.ASSERT -> {
          if (holds(program.arg[pc], before, cur)) {
            stack[top++] = program.out[pc];
          }
        }
        default -> matched = true;
      }
    }
    int result;
    if (matched) {
      result = match;
    } else if (atEnd || found == 0 && fullMatch) {
      result = dead;
    } else if (found == 0) {
      result = idleByFlags[classFlags[c]];
    } else {
      int[] next = DfaStates.key(nextSet, found, classFlags[c]);
      Integer known = states.find(next);
      if (known != null) {
        result = known;
      } else {
        if (states.full(Math.max(maxStates, fixedStates + 1), next.length)) {
          if (++resetsThisRow > MAX_RESETS_PER_ROW) {
            return LazyDfa.GAVE_UP;
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

  private boolean holds(int kind, int before, int cur) {
    boolean atEnd = cur < 0;
    return switch (KINDS[kind]) {
      case BEGIN_TEXT -> (before & BEFORE_START) != 0;
      case END_TEXT -> atEnd;
      case BEGIN_LINE -> (before & (BEFORE_START | BEFORE_NEWLINE)) != 0;
      case END_LINE -> atEnd || cur == '\n';
      case WORD_BOUNDARY -> ((before & BEFORE_WORD) != 0) != (!atEnd && WordCharacters.isWord(cur));
      case NOT_WORD_BOUNDARY -> ((before & BEFORE_WORD) != 0) == (!atEnd && WordCharacters.isWord(cur));
      case CHAR_START -> true;
    };
  }
}
