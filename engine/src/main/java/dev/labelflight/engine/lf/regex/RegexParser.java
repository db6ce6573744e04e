package dev.labelflight.engine.lf.regex;

import dev.labelflight.engine.lf.regex.RegexNode.Alternation;
import dev.labelflight.engine.lf.regex.RegexNode.Assertion;
import dev.labelflight.engine.lf.regex.RegexNode.Chars;
import dev.labelflight.engine.lf.regex.RegexNode.Concat;
import dev.labelflight.engine.lf.regex.RegexNode.Empty;
import dev.labelflight.engine.lf.regex.RegexNode.Kind;
import dev.labelflight.engine.lf.regex.RegexNode.Repeat;
import dev.labelflight.engine.lf.unicode.CaseFolding;
import dev.labelflight.engine.lf.unicode.WordCharacters;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses RE2 syntax into a {@link RegexNode} tree (counted repeats stay unexpanded, so that a pattern's
 * program size is known before anything builds it). Two meanings ({@link Syntax}):
 * <ul>
 *   <li>{@link Syntax#RE2}: RE2J's, for a subset: literals, escapes ({@code \t \n \r \f \v \a},
 *   {@code \xHH}, {@code \x{H...}}, escaped punctuation), {@code .}, classes with ranges and negation,
 *   {@code \d \w \s} and their negations (ASCII), alternation, groups (capturing, named, non-capturing,
 *   flags {@code i m s U} set and cleared), the quantifiers {@code * + ? {n} {n,} {n,m}} greedy or lazy,
 *   {@code ^ $ \A \z \b \B}; case folding of ASCII letters only. Anything else throws
 *   {@link UnsupportedRegexException} and the caller keeps RE2J. CEL's {@code matches} uses it.</li>
 *   <li>{@link Syntax#UNICODE}: all of RE2's syntax (also {@code \pL \p{Greek} \PN}, POSIX classes,
 *   {@code \Q...\E}, octal escapes, {@code \C}), with Python's meaning where the two differ on Unicode:
 *   {@code \w \d \s} and the word boundaries {@code \b \B} are Unicode-aware
 *   ({@link dev.labelflight.engine.lf.unicode.WordCharacters}), and case-insensitive matching folds every
 *   orbit ({@link dev.labelflight.engine.lf.unicode.CaseFolding}). Regex LFs use it.</li>
 * </ul>
 * The pattern has already been accepted by RE2J, so syntax errors are not reported here, only treated as
 * unsupported. (Longer than most classes here on purpose: one recursive-descent parser over the whole
 * syntax, whose parts share its position and flags.)
 */
final class RegexParser {
  /** Which meaning the parsed tree gives to RE2 syntax (see the class comment). */
  enum Syntax { RE2, UNICODE }

  private static final int[] DIGIT = {'0', '9'};
  private static final int[] SPACE = {'\t', '\n', '\f', '\r', ' ', ' '};
  private static final int[] WORD = {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'};

  private final String pattern;
  private final boolean unicode;
  private int pos;
  private boolean fold;
  private boolean dotAll;
  private boolean multiLine;

  private RegexParser(String pattern, Syntax syntax, boolean fold, boolean dotAll, boolean multiLine) {
    this.pattern = pattern;
    this.unicode = syntax == Syntax.UNICODE;
    this.fold = fold;
    this.dotAll = dotAll;
    this.multiLine = multiLine;
  }

  static RegexNode parse(String pattern, boolean caseInsensitive, boolean dotAll, boolean multiLine) {
    return parse(pattern, Syntax.RE2, caseInsensitive, dotAll, multiLine);
  }

  static RegexNode parse(String pattern, Syntax syntax, boolean caseInsensitive, boolean dotAll, boolean multiLine) {
    RegexParser p = new RegexParser(pattern, syntax, caseInsensitive, dotAll, multiLine);
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
    if (unicode) {
      return new Chars(fold ? normalize(CaseFolding.orbit(cp)) : new int[] {cp, cp});
    }
    return new Chars(new CodePointRanges().add(cp, cp, fold).toArray());
  }

  /** Sorted single code points as normalized ranges. */
  private static int[] normalize(int[] points) {
    CodePointRanges r = new CodePointRanges();
    for (int p : points) {
      r.add(p, p);
    }
    return r.toArray();
  }

  /** {@code ranges} closed under case folding when {@code fold} (Unicode syntax), normalized. */
  private int[] folded(int[] ranges) {
    return fold && unicode ? new CodePointRanges().addAll(CaseFolding.closeRanges(ranges)).toArray() : ranges;
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
      return new Chars(perl, unicode);
    }
    if (unicode && (c == 'p' || c == 'P')) {
      return new Chars(unicodeProperty(), true);
    }
    if (unicode && c == 'Q') {
      return quoted();
    }
    if (unicode && c == 'C') {
      pos++;
      return chars(0, CodePointRanges.MAX); // RE2J matches code points: "any byte" is any character
    }
    return literal(escapedChar());
  }

  /** {@code \Q...\E} (or to the end): the characters in between as literals. */
  private RegexNode quoted() {
    pos++; // 'Q'
    int end = pattern.indexOf("\\E", pos);
    String text = pattern.substring(pos, end < 0 ? pattern.length() : end);
    pos = end < 0 ? pattern.length() : end + 2;
    List<RegexNode> items = new ArrayList<>();
    text.codePoints().forEach(cp -> items.add(literal(cp)));
    if (items.isEmpty()) {
      return new Empty();
    }
    // A quantifier after \Q...\E applies to its last character only, as in RE2.
    RegexNode last = quantified(items.remove(items.size() - 1));
    items.add(last);
    return items.size() == 1 ? items.get(0) : new Concat(items);
  }

  /** {@code \pL}, {@code \p{Name}}, {@code \p{^Name}} and their {@code \P} negations (at {@code p}/{@code P}). */
  private int[] unicodeProperty() {
    boolean negated = peek() == 'P';
    pos++;
    if (!more()) {
      throw new UnsupportedRegexException("\\p");
    }
    String name;
    if (peek() == '{') {
      int close = pattern.indexOf('}', pos);
      if (close < 0) {
        throw new UnsupportedRegexException("\\p{");
      }
      name = pattern.substring(pos + 1, close);
      pos = close + 1;
    } else {
      int cp = pattern.codePointAt(pos);
      name = new String(Character.toChars(cp));
      pos += Character.charCount(cp);
    }
    if (name.startsWith("^")) {
      negated = !negated;
      name = name.substring(1);
    }
    String n = name;
    int[] ranges = folded(UnicodeProperties.property(name)
        .orElseThrow(() -> new UnsupportedRegexException("unknown class \\p{" + n + "}")));
    return negated ? CodePointRanges.negate(ranges) : ranges;
  }

  /**
   * {@code \d \s \w} and their negations, folded first when case-insensitive; else null. RE2 syntax: ASCII,
   * as RE2. Unicode syntax: Python's ({@link WordCharacters}; their orbits hold no other characters).
   */
  private int[] perlClass(char c) {
    int[] base = switch (Character.toLowerCase(c)) {
      case 'd' -> unicode ? WordCharacters.digitRanges() : DIGIT;
      case 's' -> unicode ? WordCharacters.spaceRanges() : SPACE;
      case 'w' -> unicode ? WordCharacters.wordRanges() : WORD;
      default -> null;
    };
    if (base == null) {
      return null;
    }
    int[] positive;
    if (unicode) {
      positive = base;
    } else {
      CodePointRanges ranges = new CodePointRanges();
      for (int i = 0; i < base.length; i += 2) {
        ranges.add(base[i], base[i + 1], fold);
      }
      positive = ranges.toArray();
    }
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
        if (unicode && c >= '0' && c <= '7') {
          return octal(c);
        }
        if (c < 0x80 && !Character.isLetterOrDigit(c)) {
          return c; // escaped punctuation
        }
        throw new UnsupportedRegexException("escape \\" + c);
    }
  }

  /** An octal escape: {@code \0} and up to two more octal digits, or {@code \1}-{@code \7} and one or two more. */
  private int octal(char first) {
    int value = first - '0';
    int digits = 1;
    while (digits < 3 && more() && peek() >= '0' && peek() <= '7') {
      value = value * 8 + (pattern.charAt(pos++) - '0');
      digits++;
    }
    if (first != '0' && digits == 1) {
      throw new UnsupportedRegexException("backreference \\" + first); // RE2J refuses these
    }
    return value;
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
    boolean unicodeClass = false;
    boolean first = true;
    while (more() && (peek() != ']' || first)) {
      first = false;
      char c = peek();
      if (c == '[' && pattern.startsWith("[:", pos)) {
        int close = pattern.indexOf(":]", pos + 2);
        if (!unicode || close < 0) {
          throw new UnsupportedRegexException("POSIX class");
        }
        String name = pattern.substring(pos + 2, close);
        boolean not = name.startsWith("^");
        int[] posix = UnicodeProperties.posix(not ? name.substring(1) : name)
            .orElseThrow(() -> new UnsupportedRegexException("POSIX class " + name));
        posix = folded(posix);
        ranges.addAll(not ? CodePointRanges.negate(posix) : posix);
        unicodeClass |= not;
        pos = close + 2;
        continue;
      }
      if (c == '\\' && pos + 1 < pattern.length()) {
        char e = pattern.charAt(pos + 1);
        int[] perl = perlClass(e);
        if (perl != null) {
          pos += 2;
          ranges.addAll(perl); // already folded
          unicodeClass |= unicode;
          continue;
        }
        if (unicode && (e == 'p' || e == 'P')) {
          pos++;
          ranges.addAll(unicodeProperty());
          unicodeClass = true;
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
      if (unicode) {
        ranges.addAll(folded(new int[] {lo, hi}));
      } else {
        ranges.add(lo, hi, fold);
      }
    }
    if (!more()) {
      throw new UnsupportedRegexException("missing ']'");
    }
    pos++; // ']'
    int[] set = ranges.toArray();
    return new Chars(negated ? CodePointRanges.negate(set) : set, unicodeClass);
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
