package dev.labelflight.engine.lf.regex;

import java.util.ArrayList;
import java.util.List;

/** The syntax tree of a regex; characters are Unicode code points, counted repeats are not expanded. */
sealed interface RegexNode {
  /** Matches the empty string. */
  record Empty() implements RegexNode {}

  /**
   * One code point out of sorted, disjoint, non-adjacent inclusive ranges {@code [lo0, hi0, lo1, hi1, ...]};
   * {@code unicodeClass} marks the large Unicode classes ({@code \w \d \s \p{..}} and their negations, and
   * bracket classes holding one).
   */
  record Chars(int[] ranges, boolean unicodeClass) implements RegexNode {
    Chars(int[] ranges) {
      this(ranges, false);
    }
  }

  /** The items one after another. */
  record Concat(List<RegexNode> items) implements RegexNode {}

  /** Any one of the branches. */
  record Alternation(List<RegexNode> branches) implements RegexNode {}

  /** {@code min} to {@code max} repetitions of {@code item}; {@code max} is -1 for no upper bound. */
  record Repeat(RegexNode item, int min, int max) implements RegexNode {}

  /** An empty-width assertion. */
  record Assertion(Kind kind) implements RegexNode {}

  /**
   * The empty-width assertions. Word boundaries mean RE2's ASCII word characters in the byte DFA, and
   * Unicode's ({@link dev.labelflight.engine.lf.unicode.WordCharacters}) in the NFA simulation; for patterns
   * of {@link RegexParser.Syntax#UNICODE} the DFA then serves ASCII rows only, where the two agree.
   */
  enum Kind {
    BEGIN_TEXT, END_TEXT, BEGIN_LINE, END_LINE, WORD_BOUNDARY, NOT_WORD_BOUNDARY,
    /** Not inside a UTF-8 sequence: where the unanchored search may start a match (internal). */
    CHAR_START
  }

  /**
   * Instructions of the expanded code point program of {@code node} ({@link CodePointProgram}: one per
   * character class or assertion, one per alternative and per optional repeat), saturating at
   * {@code Long.MAX_VALUE}; RE2J's program for the same pattern has about as many.
   */
  static long programSize(RegexNode node) {
    if (node instanceof Empty) {
      return 0;
    } else if (node instanceof Chars || node instanceof Assertion) {
      return 1;
    } else if (node instanceof Concat c) {
      long total = 0;
      for (RegexNode item : c.items()) {
        total = add(total, programSize(item));
      }
      return total;
    } else if (node instanceof Alternation a) {
      long total = a.branches().size() - 1;
      for (RegexNode branch : a.branches()) {
        total = add(total, programSize(branch));
      }
      return total;
    } else if (node instanceof Repeat r) {
      long item = programSize(r.item());
      long required = multiply(r.min(), item);
      long optional = r.max() < 0 ? add(item, 1) : multiply(r.max() - r.min(), add(item, 1));
      return add(required, optional);
    }
    throw new IllegalStateException(node.toString());
  }

  private static long add(long a, long b) {
    long r = a + b;
    return r < 0 ? Long.MAX_VALUE : r;
  }

  private static long multiply(long a, long b) {
    return a == 0 || b == 0 ? 0 : a > Long.MAX_VALUE / b ? Long.MAX_VALUE : a * b;
  }
}
