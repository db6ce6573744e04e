package dev.labelflight.engine.lf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * All keyword LFs of one text column fused into one Aho-Corasick automaton that scans the column's bytes
 * once per chunk. When any LF ignores case the automaton folds ASCII case and the case-sensitive keywords
 * are checked byte for byte on each match. Case folding covers ASCII letters; other letters match as
 * written (lower-cased in the keyword).
 */
final class KeywordMatcher implements LfEvaluator {
  private final String column;
  private final int[] slots;
  private final byte[] labels;
  private final KeywordAutomaton automaton;

  /** One keyword LF of the group. */
  record Member(int slot, byte label, List<String> keywords, boolean caseSensitive, boolean wholeWord) {}

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
      for (String keyword : m.keywords()) {
        String k = m.caseSensitive() ? keyword : keyword.toLowerCase(Locale.ROOT);
        keywords.add(new KeywordAutomaton.Keyword(k.getBytes(StandardCharsets.UTF_8), i, m.wholeWord(), m.caseSensitive()));
        fold |= !m.caseSensitive();
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
    TextColumn text = TextColumn.of(chunk.getVector(column));
    KeywordAutomaton.Hits hits = (owner, row) -> out[slots[owner]][row] = labels[owner];
    automaton.scan(text, slots.length, hits);
  }
}
