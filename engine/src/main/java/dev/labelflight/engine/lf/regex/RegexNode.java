package dev.labelflight.engine.lf.regex;

import java.util.List;

/** The syntax tree of a regex in the subset the lazy DFA runs; characters are Unicode code points. */
sealed interface RegexNode {
  /** Matches the empty string. */
  record Empty() implements RegexNode {}

  /** One code point out of sorted, disjoint, non-adjacent inclusive ranges {@code [lo0, hi0, lo1, hi1, ...]}. */
  record Chars(int[] ranges) implements RegexNode {}

  /** The items one after another. */
  record Concat(List<RegexNode> items) implements RegexNode {}

  /** Any one of the branches. */
  record Alternation(List<RegexNode> branches) implements RegexNode {}

  /** {@code min} to {@code max} repetitions of {@code item}; {@code max} is -1 for no upper bound. */
  record Repeat(RegexNode item, int min, int max) implements RegexNode {}

  /** An empty-width assertion. */
  record Assertion(Kind kind) implements RegexNode {}

  /** The empty-width assertions, RE2's meaning (word characters are ASCII {@code [0-9A-Za-z_]}). */
  enum Kind {
    BEGIN_TEXT, END_TEXT, BEGIN_LINE, END_LINE, WORD_BOUNDARY, NOT_WORD_BOUNDARY,
    /** Not inside a UTF-8 sequence: where the unanchored search may start a match (internal). */
    CHAR_START
  }
}
