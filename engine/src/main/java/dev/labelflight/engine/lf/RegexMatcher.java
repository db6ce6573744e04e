package dev.labelflight.engine.lf;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import java.nio.charset.StandardCharsets;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A regex LF run with RE2J (linear time, no catastrophic backtracking). ASCII rows are matched through a
 * reused view over the column's bytes; only rows with other characters are decoded to a String.
 */
final class RegexMatcher implements LfEvaluator {
  private final String column;
  private final int slot;
  private final byte label;
  private final Pattern pattern;
  private final boolean fullMatch;
  private final boolean caseInsensitive;
  /** Literals every match contains, as one automaton; null when the pattern has none worth using. */
  private final KeywordAutomaton prefilter;

  RegexMatcher(String column, int slot, byte label, Pattern pattern, boolean fullMatch, boolean caseInsensitive) {
    this.column = column;
    this.slot = slot;
    this.label = label;
    this.pattern = pattern;
    this.fullMatch = fullMatch;
    this.caseInsensitive = caseInsensitive;
    this.prefilter = RegexPrefilter.requiredLiterals(pattern.pattern())
        // Case folding of non-ASCII letters is Unicode's, which the byte automaton does not model.
        .filter(literals -> !caseInsensitive || literals.stream().allMatch(RegexMatcher::isAscii))
        .map(literals -> new KeywordAutomaton(literals.stream()
            .map(l -> new KeywordAutomaton.Keyword(
                (caseInsensitive ? l.toLowerCase(java.util.Locale.ROOT) : l).getBytes(StandardCharsets.UTF_8), 0, false,
                !caseInsensitive))
            .toList(), caseInsensitive))
        .orElse(null);
  }

  private static boolean isAscii(String s) {
    return s.chars().allMatch(c -> c < 0x80);
  }

  /** True if the pattern's required literals let rows be skipped without running the regex. */
  boolean hasPrefilter() {
    return prefilter != null;
  }

  @Override
  public int[] slots() {
    return new int[] {slot};
  }

  @Override
  public void evaluate(VectorSchemaRoot chunk, byte[][] out) {
    TextColumn text = TextColumn.of(chunk.getVector(column));
    byte[] labels = out[slot];
    AsciiView view = new AsciiView(text.data);
    Matcher matcher = pattern.matcher("");
    int rows = text.rows();
    boolean[] candidate = null;
    if (prefilter != null) {
      boolean[] hit = new boolean[rows];
      prefilter.scan(text, 1, (owner, row) -> hit[row] = true);
      candidate = hit;
    }
    for (int row = 0; row < rows; row++) {
      if (text.isNull(row)) {
        continue;
      }
      int start = text.offsets[row];
      int end = text.offsets[row + 1];
      boolean ascii = view.isAscii(start, end);
      if (candidate != null && !candidate[row] && (ascii || !caseInsensitive)) {
        continue; // cannot match: none of the required literals occurs
      }
      CharSequence value = ascii
          ? view.at(start, end)
          : new String(text.data, start, end - start, StandardCharsets.UTF_8);
      matcher.reset(value);
      if (fullMatch ? matcher.matches() : matcher.find()) {
        labels[row] = label;
      }
    }
  }

  /** A reusable CharSequence over ASCII bytes. */
  private static final class AsciiView implements CharSequence {
    private final byte[] data;
    private int start;
    private int length;

    AsciiView(byte[] data) {
      this.data = data;
    }

    boolean isAscii(int from, int to) {
      for (int i = from; i < to; i++) {
        if (data[i] < 0) {
          return false;
        }
      }
      return true;
    }

    AsciiView at(int from, int to) {
      start = from;
      length = to - from;
      return this;
    }

    @Override
    public int length() {
      return length;
    }

    @Override
    public char charAt(int index) {
      return (char) data[start + index];
    }

    @Override
    public CharSequence subSequence(int from, int to) {
      return new String(data, start + from, to - from, StandardCharsets.US_ASCII);
    }

    @Override
    public String toString() {
      return new String(data, start, length, StandardCharsets.US_ASCII);
    }
  }
}
