package dev.labelflight.engine.lf;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import dev.labelflight.engine.lf.regex.ByteRegex;
import dev.labelflight.engine.lf.regex.LazyDfa;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The regex LFs of one text column, run by a byte-level lazy DFA ({@link ByteRegex}) over the column's
 * UTF-8 bytes, or with RE2J (linear time too) for patterns outside the DFA's syntax and for the rest of a
 * chunk on which the DFA's bounded cache thrashed. Every pattern's required literals
 * ({@link RegexPrefilter}) go into one shared Aho-Corasick automaton that scans the column once per
 * chunk, whatever the number of LFs; each LF then runs only on the rows where one of its literals
 * occurs (patterns without usable literals run on every row; measured: this still beats the DFA alone).
 * For RE2J, ASCII rows are matched through a reused view over the column's bytes; only rows with other
 * characters are decoded.
 */
final class RegexMatcher implements LfEvaluator {
  private final String column;
  private final Member[] members;
  /** Position in {@link #members} of each prefiltered member, by automaton owner. */
  private final int[] prefilteredMember;
  /** Automaton owner of each member, -1 when it has no prefilter. */
  private final int[] ownerOf;
  /** All prefiltered members' literals; null when none has any. */
  private final KeywordAutomaton prefilter;

  /** One regex LF of the group; {@code dfa} is null when the pattern is outside the DFA's syntax. */
  record Member(int slot, byte label, Pattern pattern, boolean fullMatch, boolean caseInsensitive, ByteRegex dfa) {
    Member(int slot, byte label, Pattern pattern, boolean fullMatch, boolean caseInsensitive) {
      this(slot, label, pattern, fullMatch, caseInsensitive, ByteRegex.compile(pattern, fullMatch).orElse(null));
    }
  }

  /** A group of one. */
  RegexMatcher(String column, int slot, byte label, Pattern pattern, boolean fullMatch, boolean caseInsensitive) {
    this(column, List.of(new Member(slot, label, pattern, fullMatch, caseInsensitive)));
  }

  RegexMatcher(String column, List<Member> members) {
    this.column = column;
    this.members = members.toArray(Member[]::new);
    this.ownerOf = new int[members.size()];
    List<Integer> prefiltered = new ArrayList<>();
    List<KeywordAutomaton.Keyword> literals = new ArrayList<>();
    boolean fold = false;
    for (int m = 0; m < this.members.length; m++) {
      Member member = this.members[m];
      boolean ci = member.caseInsensitive();
      var required = RegexPrefilter.requiredLiterals(member.pattern().pattern())
          // Case folding of non-ASCII letters is Unicode's, which the byte automaton does not model.
          .filter(ls -> !ci || ls.stream().allMatch(RegexMatcher::isAscii));
      if (required.isEmpty()) {
        ownerOf[m] = -1;
        continue;
      }
      int owner = prefiltered.size();
      ownerOf[m] = owner;
      prefiltered.add(m);
      fold |= ci;
      for (String l : required.get()) {
        literals.add(new KeywordAutomaton.Keyword(
            (ci ? l.toLowerCase(Locale.ROOT) : l).getBytes(StandardCharsets.UTF_8), owner, false, !ci));
      }
    }
    this.prefilteredMember = prefiltered.stream().mapToInt(Integer::intValue).toArray();
    this.prefilter = literals.isEmpty() ? null : new KeywordAutomaton(literals, fold);
  }

  private static boolean isAscii(String s) {
    return s.chars().allMatch(c -> c < 0x80);
  }

  /** True if every pattern's required literals let rows be skipped without running the regex. */
  boolean hasPrefilter() {
    return Arrays.stream(ownerOf).allMatch(o -> o >= 0);
  }

  @Override
  public int[] slots() {
    return Arrays.stream(members).mapToInt(Member::slot).toArray();
  }

  @Override
  public void evaluate(VectorSchemaRoot chunk, byte[][] out) {
    TextColumn text = TextColumn.of(chunk.getVector(column));
    int rows = text.rows();
    AsciiView view = new AsciiView(text.data);
    // One scan for all prefiltered LFs: a bitmap per LF of the rows where one of its literals occurs.
    int words = (rows + 63) >>> 6;
    long[][] candidates = new long[prefilteredMember.length][];
    if (prefilter != null) {
      for (int o = 0; o < candidates.length; o++) {
        candidates[o] = new long[words];
      }
      prefilter.scan(text, candidates.length, (owner, row) -> candidates[owner][row >>> 6] |= 1L << row);
    }
    long[] nonAscii = null;
    for (int m = 0; m < members.length; m++) {
      Member member = members[m];
      MemberScan matching = new MemberScan(member, text, view, out[member.slot()]);
      try {
        if (ownerOf[m] < 0) {
          for (int row = 0; row < rows; row++) {
            matching.match(row);
          }
          continue;
        }
        long[] hits = candidates[ownerOf[m]];
        // Unicode case folding may match non-ASCII rows without the ASCII literal: those rows run too.
        if (member.caseInsensitive() && nonAscii == null) {
          nonAscii = nonAsciiRows(text, view, words);
        }
        for (int w = 0; w < words; w++) {
          long bits = member.caseInsensitive() ? hits[w] | nonAscii[w] : hits[w];
          while (bits != 0) {
            int row = (w << 6) + Long.numberOfTrailingZeros(bits);
            bits &= bits - 1;
            matching.match(row);
          }
        }
      } finally {
        matching.close();
      }
    }
  }

  /** One member's matching over one chunk: its DFA cache (borrowed for the chunk) or RE2J. */
  private static final class MemberScan {
    private final Member member;
    private final TextColumn text;
    private final AsciiView view;
    private final byte[] labels;
    private LazyDfa dfa;
    private Matcher matcher;

    MemberScan(Member member, TextColumn text, AsciiView view, byte[] labels) {
      this.member = member;
      this.text = text;
      this.view = view;
      this.labels = labels;
      this.dfa = member.dfa() == null ? null : member.dfa().acquire();
    }

    void match(int row) {
      if (text.isNull(row)) {
        return;
      }
      int start = text.offsets[row];
      int end = text.offsets[row + 1];
      if (dfa != null) {
        int answer = dfa.matches(text.data, start, end);
        if (answer != LazyDfa.GAVE_UP) {
          if (answer == 1) {
            labels[row] = member.label();
          }
          return;
        }
        close(); // the cache thrashes on this data: RE2J for the rest of the chunk
      }
      if (matcher == null) {
        matcher = member.pattern().matcher("");
      }
      CharSequence value = view.isAscii(start, end)
          ? view.at(start, end)
          : new String(text.data, start, end - start, StandardCharsets.UTF_8);
      matcher.reset(value);
      if (member.fullMatch() ? matcher.matches() : matcher.find()) {
        labels[row] = member.label();
      }
    }

    void close() {
      if (dfa != null) {
        member.dfa().release(dfa);
        dfa = null;
      }
    }
  }

  private static long[] nonAsciiRows(TextColumn text, AsciiView view, int words) {
    long[] out = new long[words];
    for (int row = 0; row < text.rows(); row++) {
      if (!text.isNull(row) && !view.isAscii(text.offsets[row], text.offsets[row + 1])) {
        out[row >>> 6] |= 1L << row;
      }
    }
    return out;
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
