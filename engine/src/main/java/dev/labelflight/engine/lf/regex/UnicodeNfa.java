package dev.labelflight.engine.lf.regex;

import dev.labelflight.engine.lf.regex.RegexNode.Kind;
import dev.labelflight.engine.lf.unicode.Utf8;
import dev.labelflight.engine.lf.unicode.WordCharacters;

/**
 * Answers whether a {@link CodePointProgram} matches UTF-8 text by simulating its NFA one code point at a
 * time (the Pike VM without captures): the set of live instructions moves over each character once, so
 * the time is linear in the text times the program size, whatever the pattern. It decides {@code \b \B}
 * with Unicode's word characters, looking at the code points on both sides, which a byte DFA cannot, so it
 * serves the rows the lazy DFA does not (non-ASCII rows of patterns with Unicode classes, rows where the
 * DFA's cache thrashed). Its steps are counted against a {@link StepBudget}, which also checks for
 * cancellation every {@link StepBudget#BATCH} steps. Not thread-safe: one per evaluating thread.
 */
public final class UnicodeNfa {
  private static final Kind[] KINDS = Kind.values();
  private static final int START = -1;
  private static final int END = -1;

  private final CodePointProgram program;
  private final boolean fullMatch;
  private int[] pending;
  private int pendingCount;
  private int[] next;
  private final int[] chars;
  private final int[] stack;
  private final int[] visited;
  private int generation;
  private long unreported;

  UnicodeNfa(CodePointProgram program, boolean fullMatch) {
    this.program = program;
    this.fullMatch = fullMatch;
    int n = program.size;
    this.pending = new int[n + 1];
    this.next = new int[n + 1];
    this.chars = new int[n];
    this.stack = new int[3 * n + 2]; // the pending ones, the start, two per instruction visited
    this.visited = new int[n];
  }

  /** 1 if {@code data[from, to)} matches, else 0; steps go to {@code budget} (null: no budget, no checks). */
  public int matches(byte[] data, int from, int to, StepBudget budget) {
    pendingCount = 0;
    int prev = START;
    int pos = from;
    while (true) {
      int length = pos < to ? Utf8.advance(data, pos, to) : 0;
      int cur = pos >= to ? END : length == 1 && data[pos] < 0 ? Utf8.REPLACEMENT : Utf8.decode(data, pos, to);
      int found = closure(prev, cur, !fullMatch || pos == from);
      if (found < 0) {
        return report(budget, 1);
      }
      if (cur == END) {
        return report(budget, 0);
      }
      int n = 0;
      for (int i = 0; i < found; i++) {
        int pc = chars[i];
        if (program.inClass(program.arg[pc], cur)) {
          next[n++] = program.out[pc];
        }
      }
      unreported += found;
      int[] swap = pending;
      pending = next;
      next = swap;
      pendingCount = n;
      if (n == 0 && fullMatch) {
        return report(budget, 0);
      }
      if (unreported >= StepBudget.BATCH) {
        report(budget, 0);
      }
      prev = cur;
      pos += length;
    }
  }

  /** Hands the steps taken so far to {@code budget} (which may throw); returns {@code answer}. */
  private int report(StepBudget budget, int answer) {
    long steps = unreported;
    unreported = 0;
    if (budget != null) {
      budget.spend(steps);
    }
    return answer;
  }

  /**
   * Follows the pending instructions (and the start, when {@code withStart}) through splits and the
   * assertions that hold between {@code prev} and {@code cur}, collecting the CHAR instructions into
   * {@link #chars}; returns their number, or -1 if MATCH was reached.
   */
  private int closure(int prev, int cur, boolean withStart) {
    generation++;
    if (generation == Integer.MAX_VALUE) {
      java.util.Arrays.fill(visited, 0);
      generation = 1;
    }
    int top = 0;
    for (int i = pendingCount - 1; i >= 0; i--) {
      stack[top++] = pending[i];
    }
    if (withStart) {
      stack[top++] = program.start;
    }
    int found = 0;
    while (top > 0) {
      int pc = stack[--top];
      if (visited[pc] == generation) {
        continue;
      }
      visited[pc] = generation;
      unreported++;
      switch (program.op[pc]) {
        case CodePointProgram.CHAR -> chars[found++] = pc;
        case CodePointProgram.SPLIT -> {
          stack[top++] = program.out1[pc];
          stack[top++] = program.out[pc];
        }
        case CodePointProgram.ASSERT -> {
          if (holds(KINDS[program.arg[pc]], prev, cur)) {
            stack[top++] = program.out[pc];
          }
        }
        default -> {
          return -1;
        }
      }
    }
    return found;
  }

  private static boolean holds(Kind kind, int prev, int cur) {
    return switch (kind) {
      case BEGIN_TEXT -> prev == START;
      case END_TEXT -> cur == END;
      case BEGIN_LINE -> prev == START || prev == '\n';
      case END_LINE -> cur == END || cur == '\n';
      case WORD_BOUNDARY -> isWord(prev) != isWord(cur);
      case NOT_WORD_BOUNDARY -> isWord(prev) == isWord(cur);
      case CHAR_START -> true;
    };
  }

  private static boolean isWord(int cp) {
    return cp >= 0 && WordCharacters.isWord(cp);
  }
}
