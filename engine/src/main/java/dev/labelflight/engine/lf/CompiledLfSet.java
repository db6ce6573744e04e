package dev.labelflight.engine.lf;

import dev.labelflight.engine.cancel.CancelToken;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;

/**
 * A job's LFs compiled against a dataset schema: names in output order and the evaluators that fill them.
 * Evaluation observes the thread's {@link CancelToken}: between evaluators, and inside each every few
 * milliseconds of work, throwing its {@link CancelToken.CancelledException}.
 */
public final class CompiledLfSet {
  private final List<String> names;
  private final List<LfEvaluator> evaluators;

  CompiledLfSet(List<String> names, List<LfEvaluator> evaluators) {
    this.names = List.copyOf(names);
    this.evaluators = List.copyOf(evaluators);
  }

  /** LF names, in the order of the label columns. */
  public List<String> names() {
    return names;
  }

  public int size() {
    return names.size();
  }

  /** The evaluators, in evaluation order (for tests). */
  List<LfEvaluator> evaluators() {
    return evaluators;
  }

  /** Labels one chunk: {@code [lf][row]}, {@link LabelSpace#ABSTAIN} where an LF does not vote. */
  public byte[][] evaluate(VectorSchemaRoot chunk) {
    return evaluate(chunk, null);
  }

  /** As {@link #evaluate(VectorSchemaRoot)}, decoding dictionary-encoded columns through {@code dictionaries}. */
  public byte[][] evaluate(VectorSchemaRoot chunk, DictionaryProvider dictionaries) {
    return evaluate(chunk, dictionaries, null);
  }

  /**
   * As {@link #evaluate(VectorSchemaRoot, DictionaryProvider)} for a resident chunk whose text columns
   * are kept in {@code text} (null: copy them for this call).
   */
  public byte[][] evaluate(VectorSchemaRoot chunk, DictionaryProvider dictionaries, ResidentText text) {
    int rows = chunk.getRowCount();
    byte[][] labels = new byte[names.size()][rows];
    for (byte[] column : labels) {
      Arrays.fill(column, LabelSpace.ABSTAIN);
    }
    // Evaluators on the same text column share one copy of its bytes for this chunk.
    return TextColumn.sharing(text, () -> {
      for (LfEvaluator evaluator : evaluators) {
        // Between evaluators too: the work of a chunk is cancelled as soon as its token is (each also checks inside).
        CancelToken.check();
        evaluator.evaluate(chunk, dictionaries, labels);
      }
      return labels;
    });
  }
}
