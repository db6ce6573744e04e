package dev.labelflight.engine.lf.regex;

import dev.labelflight.engine.lf.regex.RegexNode.Alternation;
import dev.labelflight.engine.lf.regex.RegexNode.Assertion;
import dev.labelflight.engine.lf.regex.RegexNode.Chars;
import dev.labelflight.engine.lf.regex.RegexNode.Concat;
import dev.labelflight.engine.lf.regex.RegexNode.Empty;
import dev.labelflight.engine.lf.regex.RegexNode.Kind;
import dev.labelflight.engine.lf.regex.RegexNode.Repeat;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses the subset of RE2 syntax the lazy DFA runs, with RE2J's meaning: literals, escapes ({@code \t \n
 * \r \f \v \a}, {@code \xHH}, {@code \x{H...}}, escaped punctuation), {@code .}, classes with ranges and
 * negation, {@code \d \w \s} and their negations (ASCII), alternation, groups (capturing, named,
 * non-capturing, flags {@code i m s U} set and cleared), the quantifiers {@code * + ? {n} {n,} {n,m}}
 * greedy or lazy, {@code ^ $ \A \z \b \B}. Anything else ({@code \p}, POSIX classes, {@code \Q}, octal,
 * case folding beyond ASCII) throws {@link UnsupportedRegexException}. The pattern has already been
 * accepted by RE2J, so syntax errors are not reported here, only treated as unsupported.
 */
final class RegexParser {
  private static final int[] DIGIT = {'0', '9'};
  private static final int[] SPACE = {'\t', '\n', '\f', '\r', ' ', ' '};
  private static final int[] WORD = {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'};

  private final String pattern;
  private int pos;
  private boolean fold;
  private boolean dotAll;
  private boolean multiLine;

  private RegexParser(String pattern, boolean fold, boolean dotAll, boolean multiLine) {
    this.pattern = pattern;
    this.fold = fold;
    this.dotAll = dotAll;
    this.multiLine = multiLine;
  }

  static RegexNode parse(String pattern, boolean caseInsensitive, boolean dotAll, boolean multiLine) {
    RegexParser p = new RegexParser(pattern, caseInsensitive, dotAll, multiLine);
    RegexNode node = p.alternation();
    if (p.pos != pattern.length()) {
      throw new UnsupportedRegexException("unbalanced ')'");
    }
    return node;
  }

  private boolean more() {
    return pos < pattern.length();
  }

  private char peek() {
    return pattern.charAt(pos);
  }

  private RegexNode alternation() {
    // Flags set inside a group last until its end, across '|'.
    boolean savedFold = fold;
    boolean savedDotAll = dotAll;
    boolean savedMultiLine = multiLine;
    List<RegexNode> branches = new ArrayList<>();
    branches.add(concatenation());
    while (more() && peek() == '|') {
      pos++;
      branches.add(concatenation());
    }
    fold = savedFold;
    dotAll = savedDotAll;
    multiLine = savedMultiLine;
    return branches.size() == 1 ? branches.get(0) : new Alternation(branches);
  }

  private RegexNode concatenation() {
    List<RegexNode> items = new ArrayList<>();
    while (more() && peek() != '|' && peek() != ')') {
      RegexNode atom = atom();
      if (atom == null) {
        continue; // a flag group such as (?i)
      }
      items.add(quantified(atom));
    }
    return items.isEmpty() ? new Empty() : items.size() == 1 ? items.get(0) : new Concat(items);
  }

  private RegexNode quantified(RegexNode atom) {
    while (more()) {
      char c = peek();
      int min;
      int max;
      if (c == '*') {
        min = 0;
        max = -1;
        pos++;
      } else if (c == '+') {
        min = 1;
        max = -1;
        pos++;
      } else if (c == '?') {
        min = 0;
        max = 1;
        pos++;
      } else if (c == '{' && repeatEnd(pos) > 0) {
        int close = repeatEnd(pos);
        String body = pattern.substring(pos + 1, close);
        int comma = body.indexOf(',');
        if (comma < 0) {
          min = max = Integer.parseInt(body);
        } else {
          min = Integer.parseInt(body.substring(0, comma));
          max = comma == body.length() - 1 ? -1 : Integer.parseInt(body.substring(comma + 1));
        }
        pos = close + 1;
      } else {
        return atom;
      }
      if (more() && peek() == '?') {
        pos++; // lazy: the same language, and only whether a match exists matters here
      }
      atom = new Repeat(atom, min, max);
    }
    return atom;
  }

  /** The index of the '}' closing a repeat {n}, {n,} or {n,m} at {@code at}, or -1 if it is a literal '{'. */
  private int repeatEnd(int at) {
    int i = at + 1;
    int digits = 0;
    while (i < pattern.length() && Character.isDigit(pattern.charAt(i)) && pattern.charAt(i) < 0x80) {
      i++;
      digits++;
    }
    if (digits == 0 || i >= pattern.length()) {
      return -1;
    }
    if (pattern.charAt(i) == ',') {
      i++;
      while (i < pattern.length() && pattern.charAt(i) >= '0' && pattern.charAt(i) <= '9') {
        i++;
      }
    }
    if (i >= pattern.length() || pattern.charAt(i) != '}') {
      return -1;
    }
    if (i - at > 10) {
      throw new UnsupportedRegexException("repeat count too large");
    }
    return i;
  }

  /** The next atom, or null after a flag group that only changed the flags. */
  private RegexNode atom() {
    char c = peek();
    switch (c) {
      case '(':
        return group();
      case '[':
        return charClass();
      case '.':
        pos++;
        return dotAll ? chars(0, CodePointRanges.MAX) : new Chars(new int[] {0, '\n' - 1, '\n' + 1, CodePointRanges.MAX});
      case '^':
        pos++;
        return new Assertion(multiLine ? Kind.BEGIN_LINE : Kind.BEGIN_TEXT);
      case '$':
        pos++;
        return new Assertion(multiLine ? Kind.END_LINE : Kind.END_TEXT);
      case '\\':
        return escape();
      case '*':
      case '+':
      case '?':
        throw new UnsupportedRegexException("missing argument to repetition");
      default:
        int cp = pattern.codePointAt(pos);
        pos += Character.charCount(cp);
        return literal(cp);
    }
  }

  private RegexNode literal(int cp) {
    return new Chars(new CodePointRanges().add(cp, cp, fold).toArray());
  }

  private static Chars chars(int lo, int hi) {
    return new Chars(new int[] {lo, hi});
  }

  private RegexNode group() {
    pos++; // '('
    if (pattern.startsWith("?P<", pos) || pattern.startsWith("?<", pos)) {
      int close = pattern.indexOf('>', pos);
      if (close < 0) {
        throw new UnsupportedRegexException("group name");
      }
      pos = close + 1;
    } else if (more() && peek() == '?') {
      pos++;
      boolean on = true;
      boolean newFold = fold;
      boolean newDotAll = dotAll;
      boolean newMultiLine = multiLine;
      while (true) {
        if (!more()) {
          throw new UnsupportedRegexException("flags");
        }
        char f = pattern.charAt(pos++);
        switch (f) {
          case 'i' -> newFold = on;
          case 's' -> newDotAll = on;
          case 'm' -> newMultiLine = on;
          case 'U' -> { } // ungreedy: same language
          case '-' -> on = false;
          case ')', ':' -> {
            if (f == ')') {
              fold = newFold;
              dotAll = newDotAll;
              multiLine = newMultiLine;
              return null;
            }
            boolean savedFold = fold;
            boolean savedDotAll = dotAll;
            boolean savedMultiLine = multiLine;
            fold = newFold;
            dotAll = newDotAll;
            multiLine = newMultiLine;
            RegexNode inner = closeGroup();
            fold = savedFold;
            dotAll = savedDotAll;
            multiLine = savedMultiLine;
            return inner;
          }
          default -> throw new UnsupportedRegexException("flag " + f);
        }
      }
    }
    return closeGroup();
  }

  private RegexNode closeGroup() {
    RegexNode inner = alternation();
    if (!more() || peek() != ')') {
      throw new UnsupportedRegexException("missing ')'");
    }
    pos++;
    return inner;
  }

  private RegexNode escape() {
    pos++; // '\'
    if (!more()) {
      throw new UnsupportedRegexException("trailing '\\'");
    }
    char c = peek();
    Kind assertion = switch (c) {
      case 'A' -> Kind.BEGIN_TEXT;
      case 'z' -> Kind.END_TEXT;
      case 'b' -> Kind.WORD_BOUNDARY;
      case 'B' -> Kind.NOT_WORD_BOUNDARY;
      default -> null;
    };
    if (assertion != null) {
      pos++;
      return new Assertion(assertion);
    }
    int[] perl = perlClass(c);
    if (perl != null) {
      pos++;
      return new Chars(perl);
    }
    return literal(escapedChar());
  }

  /** {@code \d \s \w} and their negations (ASCII, as RE2), folded first when case-insensitive; else null. */
  private int[] perlClass(char c) {
    int[] base = switch (Character.toLowerCase(c)) {
      case 'd' -> DIGIT;
      case 's' -> SPACE;
      case 'w' -> WORD;
      default -> null;
    };
    if (base == null) {
      return null;
    }
    CodePointRanges ranges = new CodePointRanges();
    for (int i = 0; i < base.length; i += 2) {
      ranges.add(base[i], base[i + 1], fold);
    }
    int[] positive = ranges.toArray();
    return Character.isUpperCase(c) ? CodePointRanges.negate(positive) : positive;
  }

  /** The code point of a one-character escape at {@code pos} (after the backslash). */
  private int escapedChar() {
    char c = pattern.charAt(pos++);
    switch (c) {
      case 't':
        return '\t';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 'f':
        return '\f';
      case 'v':
        return 0x0B;
      case 'a':
        return 0x07;
      case 'x':
        return hex();
      default:
        if (c < 0x80 && !Character.isLetterOrDigit(c)) {
          return c; // escaped punctuation
        }
        throw new UnsupportedRegexException("escape \\" + c);
    }
  }

  private int hex() {
    int end;
    int from;
    if (more() && peek() == '{') {
      from = pos + 1;
      end = pattern.indexOf('}', from);
      if (end < 0) {
        throw new UnsupportedRegexException("\\x{");
      }
      pos = end + 1;
    } else {
      from = pos;
      end = pos + 2;
      if (end > pattern.length()) {
        throw new UnsupportedRegexException("\\x");
      }
      pos = end;
    }
    try {
      int cp = Integer.parseInt(pattern.substring(from, end), 16);
      if (cp < 0 || cp > CodePointRanges.MAX || end - from > 8) {
        throw new UnsupportedRegexException("\\x out of range");
      }
      return cp;
    } catch (NumberFormatException e) {
      throw new UnsupportedRegexException("\\x");
    }
  }

  private RegexNode charClass() {
    pos++; // '['
    boolean negated = more() && peek() == '^';
    if (negated) {
      pos++;
    }
    CodePointRanges ranges = new CodePointRanges();
    boolean first = true;
    while (more() && (peek() != ']' || first)) {
      first = false;
      char c = peek();
      if (c == '[' && pattern.startsWith("[:", pos)) {
        throw new UnsupportedRegexException("POSIX class");
      }
      if (c == '\\' && pos + 1 < pattern.length()) {
        int[] perl = perlClass(pattern.charAt(pos + 1));
        if (perl != null) {
          pos += 2;
          ranges.addAll(perl); // already folded
          continue;
        }
      }
      int lo = classChar();
      int hi = lo;
      if (pos + 1 < pattern.length() && peek() == '-' && pattern.charAt(pos + 1) != ']') {
        pos++;
        hi = classChar();
      }
      if (hi < lo) {
        throw new UnsupportedRegexException("bad range");
      }
      ranges.add(lo, hi, fold);
    }
    if (!more()) {
      throw new UnsupportedRegexException("missing ']'");
    }
    pos++; // ']'
    int[] set = ranges.toArray();
    return new Chars(negated ? CodePointRanges.negate(set) : set);
  }

  private int classChar() {
    if (peek() == '\\') {
      pos++;
      if (!more()) {
        throw new UnsupportedRegexException("trailing '\\'");
      }
      return escapedChar();
    }
    int cp = pattern.codePointAt(pos);
    pos += Character.charCount(cp);
    return cp;
  }
}
