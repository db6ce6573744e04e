package dev.labelflight.engine.lf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * All keyword LFs of one text column fused into one pass: at most two Aho-Corasick automata (one for
 * case-sensitive LFs, one folding ASCII case), each scanning the column's bytes once per chunk.
 * Case folding covers ASCII letters; other letters match as written (lower-cased in the keyword).
 */
final class KeywordMatcher implements LfEvaluator {
  private final String column;
  private final int[] slots;
  private final byte[] labels;
  private final KeywordAutomaton sensitive;
  private final KeywordAutomaton insensitive;

  /** One keyword LF of the group. */
  record Member(int slot, byte label, List<String> keywords, boolean caseSensitive, boolean wholeWord) {}

  KeywordMatcher(String column, List<Member> members) {
    this.column = column;
    this.slots = new int[members.size()];
    this.labels = new byte[members.size()];
    List<KeywordAutomaton.Keyword> exact = new ArrayList<>();
    List<KeywordAutomaton.Keyword> folded = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      Member m = members.get(i);
      slots[i] = m.slot();
      labels[i] = m.label();
      for (String keyword : m.keywords()) {
        String k = m.caseSensitive() ? keyword : keyword.toLowerCase(Locale.ROOT);
        var entry = new KeywordAutomaton.Keyword(k.getBytes(StandardCharsets.UTF_8), i, m.wholeWord());
        (m.caseSensitive() ? exact : folded).add(entry);
      }
    }
    sensitive = exact.isEmpty() ? null : new KeywordAutomaton(exact, false);
    insensitive = folded.isEmpty() ? null : new KeywordAutomaton(folded, true);
  }

  @Override
  public int[] slots() {
    return slots.clone();
  }

  @Override
  public void evaluate(VectorSchemaRoot chunk, byte[][] out) {
    TextColumn text = TextColumn.of(chunk.getVector(column));
    KeywordAutomaton.Hits hits = (owner, row) -> out[slots[owner]][row] = labels[owner];
    if (sensitive != null) {
      sensitive.scan(text, slots.length, hits);
    }
    if (insensitive != null) {
      insensitive.scan(text, slots.length, hits);
    }
  }
}
