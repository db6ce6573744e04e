package dev.labelflight.engine.lf;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import dev.labelflight.engine.lf.regex.StepBudget;
import dev.labelflight.engine.lf.regex.UnicodeRegex;
import dev.labelflight.engine.lf.unicode.CaseFolding;
import dev.labelflight.engine.lf.unicode.WordCharacters;

/**
 * Where a keyword or regex LF matches inside one text value, for highlighting the rows a user looks at:
 * the same fields, defaults and semantics as the LF's evaluator ({@link KeywordMatcher}: ASCII case folding
 * against the keyword lower-cased, whole words by {@link WordCharacters}; {@link RegexMatcher}: the
 * RE2 pattern with the same flags, {@code match: full} spanning the whole value). Answers offsets in UTF-16
 * code units (what a browser's strings index), never markup. For display only, so it runs on the few rows of
 * a page and looks at most at the first {@link #MAX_CHARS} characters of a value, giving at most
 * {@link #MAX_SPANS} spans, leftmost first (for keywords, the longest at each place). Thread-safe.
 */
public final class MatchSpans {
  /** Most spans reported per value. */
  public static final int MAX_SPANS = 256;
  /** Characters of a value searched for spans. */
  public static final int MAX_CHARS = 100_000;

  private final String column;
  private final Keywords keywords;
  private final Pattern regex;
  private final boolean fullMatch;
  /** The LF's own regex engine (Python's Unicode word rules), which decides whether a value matches at all. */
  private final UnicodeRegex engine;
  private final long stepsPerByte;

  private MatchSpans(String column, Keywords keywords, Pattern regex, boolean fullMatch) {
    this(column, keywords, regex, fullMatch, null, 0);
  }

  private MatchSpans(String column, Keywords keywords, Pattern regex, boolean fullMatch, UnicodeRegex engine,
      long stepsPerByte) {
    this.engine = engine;
    this.stepsPerByte = stepsPerByte;
    this.column = column;
    this.keywords = keywords;
    this.regex = regex;
    this.fullMatch = fullMatch;
  }

  /**
   * The spans finder of a keyword or regex LF; empty for the other kinds. A spec its evaluator would refuse
   * (no column, bad pattern, too many keywords) is INVALID_ARGUMENT naming the LF, as at apply.
   */
  public static Optional<MatchSpans> of(LfSpec spec, LfLimits limits) {
    switch (spec.kind()) {
      case KEYWORD -> {
        String column = spec.string(LfFields.TEXT_COLUMN);
        List<String> words = spec.strings(LfFields.KEYWORDS);
        if (words.size() > limits.maxKeywordsPerLf()) {
          throw spec.invalid("more than " + limits.maxKeywordsPerLf() + " keywords");
        }
        boolean caseSensitive = spec.bool(LfFields.KEYWORD_CASE_SENSITIVE);
        return Optional.of(new MatchSpans(column,
            new Keywords(words, caseSensitive, spec.bool(LfFields.WHOLE_WORD)), null, false));
      }
      case REGEX -> {
        String column = spec.string(LfFields.TEXT_COLUMN);
        String pattern = spec.string(LfFields.PATTERN);
        if (pattern.isEmpty()) {
          throw spec.invalid("'pattern' is empty");
        }
        if (pattern.length() > limits.maxRegexLength()) {
          throw spec.invalid("pattern is longer than " + limits.maxRegexLength() + " characters");
        }
        String match = spec.string(LfFields.MATCH);
        int flags = (spec.bool(LfFields.REGEX_CASE_SENSITIVE) ? 0 : Pattern.CASE_INSENSITIVE)
            | (spec.bool(LfFields.DOT_ALL) ? Pattern.DOTALL : 0)
            | (spec.bool(LfFields.MULTILINE) ? Pattern.MULTILINE : 0);
        try {
          Pattern re2j = Pattern.compile(pattern, flags);
          UnicodeRegex engine = UnicodeRegex.compile(pattern, !spec.bool(LfFields.REGEX_CASE_SENSITIVE),
              spec.bool(LfFields.DOT_ALL), spec.bool(LfFields.MULTILINE), match.equals("full"),
              limits.maxRegexProgramSize()).orElse(null);
          return Optional.of(new MatchSpans(column, null, re2j, match.equals("full"), engine, limits.regexStepsPerByte()));
        } catch (UnicodeRegex.TooLargeException e) {
          throw spec.overLimit("pattern", "the regex's program has " + e.size() + " instructions, more than"
              + " limits.maxRegexProgramSize = " + limits.maxRegexProgramSize(), limits.maxRegexProgramSize(), e.size(),
              "instructions");
        } catch (PatternSyntaxException e) {
          throw spec.invalid("invalid regex: " + e.getMessage());
        } catch (StackOverflowError e) {
          throw spec.invalid("regex is too deeply nested");
        }
      }
      default -> {
        return Optional.empty();
      }
    }
  }

  /** The text column the LF reads. */
  public String column() {
    return column;
  }

  /** Spans where the LF matches in {@code text}: {@code [start0, end0, start1, end1, ...]}, UTF-16 offsets. */
  public int[] find(String text) {
    if (text == null || text.isEmpty()) {
      return new int[0];
    }
    String value = text.length() > MAX_CHARS ? text.substring(0, MAX_CHARS) : text;
    return keywords != null ? keywords.find(value) : regex(value);
  }

  private int[] regex(String value) {
    if (engine != null) {
      // Whether the LF votes is the LF engine's answer (Unicode \b \w as Python's re); RE2J, whose \b is
      // ASCII, only places the spans. Where the two disagree on a matching value, the whole value is marked.
      byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
      boolean matches;
      try (UnicodeRegex.Scan scan = engine.scan()) {
        matches = scan.matches(bytes, 0, bytes.length, StepBudget.perByte(stepsPerByte, bytes.length)) == 1;
      }
      if (!matches) {
        return new int[0];
      }
      int[] spans = re2jSpans(value);
      return spans.length > 0 ? spans : new int[] {0, value.length()};
    }
    return re2jSpans(value);
  }

  private int[] re2jSpans(String value) {
    Matcher m = regex.matcher(value);
    if (fullMatch) {
      return m.matches() ? new int[] {0, value.length()} : new int[0];
    }
    List<Integer> spans = new ArrayList<>();
    int from = 0;
    while (spans.size() < 2 * MAX_SPANS && from <= value.length() && m.find(from)) {
      if (m.end() > m.start()) {
        spans.add(m.start());
        spans.add(m.end());
        from = m.end();
      } else {
        from = m.end() + 1; // an empty match shows nothing; look past it
      }
    }
    return spans.stream().mapToInt(Integer::intValue).toArray();
  }

  /** One keyword LF's words, by byte length, as its matcher compares them. */
  private static final class Keywords {
    private final boolean caseSensitive;
    private final boolean wholeWord;
    /** Keyword sets by length, longest first. */
    private final TreeMap<Integer, Set<Bytes>> byLength = new TreeMap<>(java.util.Comparator.reverseOrder());

    Keywords(List<String> words, boolean caseSensitive, boolean wholeWord) {
      this.caseSensitive = caseSensitive;
      this.wholeWord = wholeWord;
      for (String w : words) {
        // Folded as the LF folds them: Unicode simple case folding (CaseFolding), as Python's re.IGNORECASE.
        byte[] bytes = caseSensitive ? w.getBytes(StandardCharsets.UTF_8) : CaseFolding.foldToUtf8(w);
        byLength.computeIfAbsent(bytes.length, n -> new HashSet<>()).add(new Bytes(bytes, 0, bytes.length));
      }
    }

    int[] find(String value) {
      byte[] raw = value.getBytes(StandardCharsets.UTF_8);
      byte[] data = raw;
      // origin[k]: where in the row the folded byte k came from (null: not folded, the same offsets).
      int[] origin = null;
      if (!caseSensitive) {
        byte[] folded = new byte[CaseFolding.maxFoldedLength(raw.length)];
        int[] from = new int[folded.length + 1];
        int n = CaseFolding.foldUtf8(raw, 0, raw.length, folded, from);
        data = Arrays.copyOf(folded, n);
        origin = Arrays.copyOf(from, n + 1);
      }
      List<Integer> spans = new ArrayList<>();
      Bytes probe = new Bytes(data, 0, 0);
      int p = 0;
      while (p < data.length && spans.size() < 2 * MAX_SPANS) {
        int found = 0;
        if (origin == null || p == 0 || origin[p] != origin[p - 1]) {
          for (var entry : byLength.entrySet()) {
            int length = entry.getKey();
            if (p + length > data.length) {
              continue;
            }
            int end = p + length;
            if (origin != null && end < data.length && origin[end] == origin[end - 1]) {
              continue; // ends inside a folded code point
            }
            int rawFrom = origin == null ? p : origin[p];
            int rawTo = origin == null ? end : origin[end];
            if (wholeWord && !isWholeWord(raw, rawFrom, rawTo)) {
              continue;
            }
            probe.at(p, length);
            if (entry.getValue().contains(probe)) {
              found = length;
              spans.add(rawFrom);
              spans.add(rawTo);
              break;
            }
          }
        }
        p += found > 0 ? found : 1;
      }
      return toChars(value, raw.length, spans);
    }

    private static boolean isWholeWord(byte[] data, int from, int to) {
      // The LF's rule: no Unicode word character just before or after (WordCharacters).
      return !WordCharacters.wordBefore(data, 0, from) && !WordCharacters.wordAt(data, to, data.length);
    }

    /** Byte offsets of UTF-8 {@code value} as UTF-16 offsets. */
    private static int[] toChars(String value, int bytes, List<Integer> byteSpans) {
      int[] charAt = new int[bytes + 1];
      int b = 0;
      for (int i = 0; i < value.length(); ) {
        int cp = value.codePointAt(i);
        charAt[b] = i;
        // A lone surrogate encodes as one byte ('?').
        b += cp < 0x80 || Character.isSurrogate((char) cp) && cp < 0x10000 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        i += Character.charCount(cp);
      }
      charAt[bytes] = value.length();
      int[] out = new int[byteSpans.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = charAt[byteSpans.get(i)];
      }
      return out;
    }
  }

  /** A run of bytes compared by content (a keyword, or a probe moved over the text). */
  private static final class Bytes {
    private final byte[] data;
    private int from;
    private int length;

    Bytes(byte[] data, int from, int length) {
      this.data = data;
      this.from = from;
      this.length = length;
    }

    void at(int from, int length) {
      this.from = from;
      this.length = length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Bytes other && Arrays.equals(data, from, from + length, other.data, other.from, other.from + other.length);
    }

    @Override
    public int hashCode() {
      int h = 1;
      for (int i = from; i < from + length; i++) {
        h = 31 * h + data[i];
      }
      return h;
    }
  }
}
