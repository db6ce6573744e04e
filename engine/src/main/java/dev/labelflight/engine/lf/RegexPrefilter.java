package dev.labelflight.engine.lf;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds literal strings of which every match of a regex must contain at least one ("https?://" needs
 * "http"; "(great|excellent) value" needs " value"), so that rows containing none of them can be
 * skipped with one Aho-Corasick pass instead of running RE2J on every row. The analysis is
 * conservative: any construct it does not understand (inline flags, hex or octal escapes, \Q...\E)
 * yields no prefilter, never a wrong one.
 */
final class RegexPrefilter {
  /** Literals shorter than this filter too little to be worth a pass. */
  private static final int MIN_LITERAL = 2;

  private final String pattern;
  private int pos;

  private RegexPrefilter(String pattern) {
    this.pattern = pattern;
  }

  /** The literal set, or empty when the regex has no useful required literal. */
  static Optional<List<String>> requiredLiterals(String pattern) {
    try {
      RegexPrefilter p = new RegexPrefilter(pattern);
      Factor f = p.alternation();
      if (p.pos != pattern.length() || f.literals == null) {
        return Optional.empty();
      }
      for (String s : f.literals) {
        if (s.length() < MIN_LITERAL) {
          return Optional.empty();
        }
      }
      return Optional.of(List.copyOf(f.literals));
    } catch (Unsupported e) {
      return Optional.empty();
    }
  }

  /** At least one of {@code literals} occurs in every match; null means no constraint is known. */
  private record Factor(Set<String> literals) {
    static final Factor NONE = new Factor(null);

    int weight() {
      // The shortest literal bounds how selective the set is.
      return literals == null ? 0 : literals.stream().mapToInt(String::length).min().orElse(0);
    }
  }

  private static final class Unsupported extends RuntimeException {
    Unsupported() {
      super(null, null, false, false);
    }
  }

  private Factor alternation() {
    List<Factor> branches = new ArrayList<>();
    branches.add(concatenation());
    while (pos < pattern.length() && pattern.charAt(pos) == '|') {
      pos++;
      branches.add(concatenation());
    }
    if (branches.size() == 1) {
      return branches.get(0);
    }
    Set<String> union = new LinkedHashSet<>();
    for (Factor b : branches) {
      if (b.literals == null) {
        return Factor.NONE;
      }
      union.addAll(b.literals);
    }
    return new Factor(union);
  }

  /** The best factor among the concatenated atoms and the maximal runs of literal characters. */
  private Factor concatenation() {
    Factor best = Factor.NONE;
    StringBuilder run = new StringBuilder();
    while (pos < pattern.length() && pattern.charAt(pos) != '|' && pattern.charAt(pos) != ')') {
      Integer literal = null;
      Factor atom = Factor.NONE;
      char c = pattern.charAt(pos);
      if (c == '(') {
        pos++;
        if (pattern.startsWith("?:", pos)) {
          pos += 2;
        } else if (pattern.startsWith("?P<", pos) || pattern.startsWith("?<", pos)) {
          int close = pattern.indexOf('>', pos);
          if (close < 0) {
            throw new Unsupported();
          }
          pos = close + 1;
        } else if (pos < pattern.length() && pattern.charAt(pos) == '?') {
          throw new Unsupported(); // inline flags change matching in ways not tracked here
        }
        atom = alternation();
        if (pos >= pattern.length() || pattern.charAt(pos) != ')') {
          throw new Unsupported();
        }
        pos++;
      } else if (c == '[') {
        skipClass();
      } else if (c == '\\') {
        literal = escape();
      } else if (c == '.' || c == '^' || c == '$') {
        pos++;
      } else if (c == '*' || c == '+' || c == '?' || c == '{' && isRepeat(pos)) {
        throw new Unsupported(); // a quantifier with nothing before it
      } else if (Character.isSurrogate(c)) {
        throw new Unsupported(); // a quantifier would apply to the whole code point
      } else {
        literal = (int) c;
        pos++;
      }
      boolean quantified = pos < pattern.length() && isQuantifier(pos);
      int min = quantified ? quantifierMin() : 1;
      if (literal != null && !quantified) {
        run.appendCodePoint(literal);
        continue;
      }
      if (literal != null && min >= 1) {
        // "ab+c": the first b follows a and the last b precedes c, so both "ab" and "bc" are required.
        run.appendCodePoint(literal);
        best = better(best, runFactor(run));
        run.setLength(0);
        run.appendCodePoint(literal);
        continue;
      }
      best = better(best, runFactor(run));
      run.setLength(0);
      if (literal == null && min >= 1) {
        best = better(best, atom);
      }
    }
    return better(best, runFactor(run));
  }

  private boolean isQuantifier(int at) {
    char c = pattern.charAt(at);
    return c == '*' || c == '+' || c == '?' || c == '{' && isRepeat(at);
  }

  /** Parses the quantifier at {@code pos}; returns its minimum count. */
  private int quantifierMin() {
    char c = pattern.charAt(pos);
    int min;
    if (c == '*' || c == '?') {
      min = 0;
      pos++;
    } else if (c == '+') {
      min = 1;
      pos++;
    } else if (c == '{' && isRepeat(pos)) {
      int close = pattern.indexOf('}', pos);
      String body = pattern.substring(pos + 1, close);
      String first = body.contains(",") ? body.substring(0, body.indexOf(',')) : body;
      min = Integer.parseInt(first);
      pos = close + 1;
    } else {
      throw new IllegalStateException("no quantifier at " + pos);
    }
    if (pos < pattern.length() && pattern.charAt(pos) == '?') {
      pos++; // non-greedy
    }
    return min;
  }

  private boolean isRepeat(int at) {
    int close = pattern.indexOf('}', at);
    return close > at + 1 && pattern.substring(at + 1, close).matches("\\d+(,\\d*)?");
  }

  private void skipClass() {
    pos++;
    if (pos < pattern.length() && pattern.charAt(pos) == '^') {
      pos++;
    }
    if (pos < pattern.length() && pattern.charAt(pos) == ']') {
      pos++;
    }
    while (pos < pattern.length() && pattern.charAt(pos) != ']') {
      if (pattern.charAt(pos) == '\\') {
        pos += 2;
      } else if (pattern.startsWith("[:", pos)) {
        int close = pattern.indexOf(":]", pos + 2);
        if (close < 0) {
          throw new Unsupported();
        }
        pos = close + 2;
      } else {
        pos++;
      }
    }
    if (pos >= pattern.length()) {
      throw new Unsupported();
    }
    pos++;
  }

  /** Parses an escape; returns the literal code point, or null for a class or an assertion. */
  private Integer escape() {
    if (pos + 1 >= pattern.length()) {
      throw new Unsupported();
    }
    char e = pattern.charAt(pos + 1);
    pos += 2;
    switch (e) {
      case 'd', 'D', 'w', 'W', 's', 'S', 'b', 'B', 'A', 'z', 'C':
        return null;
      case 'p', 'P':
        if (pos < pattern.length() && pattern.charAt(pos) == '{') {
          int close = pattern.indexOf('}', pos);
          if (close < 0) {
            throw new Unsupported();
          }
          pos = close + 1;
        } else {
          pos++;
        }
        return null;
      case 'n':
        return (int) '\n';
      case 't':
        return (int) '\t';
      case 'r':
        return (int) '\r';
      case 'f':
        return (int) '\f';
      default:
        if (!Character.isLetterOrDigit(e) && e < 0x80) {
          return (int) e; // an escaped punctuation character stands for itself
        }
        throw new Unsupported();
    }
  }

  private static Factor runFactor(StringBuilder run) {
    return run.length() == 0 ? Factor.NONE : new Factor(Set.of(run.toString()));
  }

  private static Factor better(Factor a, Factor b) {
    return b.weight() > a.weight() ? b : a;
  }
}
