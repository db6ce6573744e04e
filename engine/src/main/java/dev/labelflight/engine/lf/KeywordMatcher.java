package dev.labelflight.engine.lf;

import dev.labelflight.engine.cancel.CancelToken;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * All keyword LFs of one text column fused into one Aho-Corasick automaton that scans the column's bytes
 * once per chunk. Case-insensitive keywords match as Python's {@code re.IGNORECASE} does (Unicode simple
 * case folding, {@link dev.labelflight.engine.lf.unicode.CaseFolding}): the automaton holds them folded and reads rows folded (ASCII rows
 * through its byte classes, other rows folded into a scratch copy first); case-sensitive keywords in the same
 * automaton are checked byte for byte against the row on each match. A {@code wholeWord} keyword matches
 * where no word character ({@link dev.labelflight.engine.lf.unicode.WordCharacters}) is just before or after
 * it.
 */
final class KeywordMatcher implements LfEvaluator {
  private final String column;
  private final int[] slots;
  private final byte[] labels;
  private final KeywordAutomaton automaton;

  /** One keyword LF of the group. */
  record Member(int slot, byte label, List<String> keywords, boolean caseSensitive, boolean wholeWord) {}

  /** The keyword LFs of one column, gathered while a job's LFs compile. */
  static final class Group implements LfSetBuilder.Group {
    private final String column;
    private final List<Member> members = new ArrayList<>();

    Group(String column) {
      this.column = column;
    }

    @Override
    public LfEvaluator build() {
      return new KeywordMatcher(column, members);
    }
  }

  /** The compile hook of {@link LfKind#KEYWORD}. */
  static void compile(LfSpec spec, int slot, LfSetBuilder set) {
    String column = set.column(spec, LfFields.TEXT_COLUMN).getName();
    List<String> keywords = spec.strings(LfFields.KEYWORDS);
    int max = set.limits().maxKeywordsPerLf();
    if (keywords.size() > max) {
      throw spec.overLimit("keywords", "more than " + max + " keywords (limits.maxKeywordsPerLf)", max,
          keywords.size(), "keywords");
    }
    set.group(List.of(LfKind.KEYWORD, column), Group.class, () -> new Group(column)).members.add(new Member(
        slot, set.code(spec), keywords, spec.bool(LfFields.KEYWORD_CASE_SENSITIVE), spec.bool(LfFields.WHOLE_WORD)));
  }

  KeywordMatcher(String column, List<Member> members) {
    this.column = column;
    this.slots = new int[members.size()];
    this.labels = new byte[members.size()];
    List<KeywordAutomaton.Keyword> keywords = new ArrayList<>();
    boolean fold = false;
    for (int i = 0; i < members.size(); i++) {
      Member m = members.get(i);
      slots[i] = m.slot();
      labels[i] = m.label();
      fold |= !m.caseSensitive();
    }
    for (int i = 0; i < members.size(); i++) {
      Member m = members.get(i);
      for (String keyword : m.keywords()) {
        // In a folding automaton every keyword is held folded; the case-sensitive ones are checked exactly.
        keywords.add(KeywordAutomaton.Keyword.of(keyword, i, m.wholeWord(), m.caseSensitive(), fold));
      }
    }
    automaton = new KeywordAutomaton(keywords, fold);
  }

  @Override
  public int[] slots() {
    return slots.clone();
  }

  @Override
  public void evaluate(VectorSchemaRoot chunk, byte[][] out) {
    CancelToken.check();
    TextColumn text = TextColumn.of(chunk.getVector(column));
    KeywordAutomaton.Hits hits = (owner, row) -> out[slots[owner]][row] = labels[owner];
    automaton.scan(text, slots.length, hits);
  }
}
