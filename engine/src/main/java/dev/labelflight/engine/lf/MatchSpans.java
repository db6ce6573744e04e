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

  private MatchSpans(String column, Keywords keywords, Pattern regex, boolean fullMatch) {
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
          return Optional.of(new MatchSpans(column, null, Pattern.compile(pattern, flags), match.equals("full")));
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
        byte[] bytes = (caseSensitive ? w : w.toLowerCase(Locale.ROOT)).getBytes(StandardCharsets.UTF_8);
        byLength.computeIfAbsent(bytes.length, n -> new HashSet<>()).add(new Bytes(bytes, 0, bytes.length));
      }
    }

    int[] find(String value) {
      byte[] raw = value.getBytes(StandardCharsets.UTF_8);
      byte[] data = raw;
      if (!caseSensitive) {
        // The automaton folds ASCII letters of the text only; keywords were lower-cased whole.
        data = raw.clone();
        for (int i = 0; i < data.length; i++) {
          if (data[i] >= 'A' && data[i] <= 'Z') {
            data[i] += 32;
          }
        }
      }
      List<Integer> spans = new ArrayList<>();
      Bytes probe = new Bytes(data, 0, 0);
      int p = 0;
      while (p < data.length && spans.size() < 2 * MAX_SPANS) {
        int found = 0;
        for (var entry : byLength.entrySet()) {
          int length = entry.getKey();
          if (p + length > data.length || (wholeWord && !isWholeWord(raw, p, p + length))) {
            continue;
          }
          probe.at(p, length);
          if (entry.getValue().contains(probe)) {
            found = length;
            break;
          }
        }
        if (found > 0) {
          spans.add(p);
          spans.add(p + found);
          p += found;
        } else {
          p++;
        }
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
