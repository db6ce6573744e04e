package dev.labelflight.engine.lf;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;

/**
 * A compiled LF (or a fused group of LFs) that labels a whole chunk at once. Implementations are
 * immutable and thread-safe: one instance serves every chunk of a job, possibly in parallel.
 */
public interface LfEvaluator {

  /** Indexes of the job's LFs whose label columns this evaluator fills. */
  int[] slots();

  /**
   * Writes a class index into {@code labels[slot][row]} where an LF votes; the arrays come filled with
   * {@link LabelSpace#ABSTAIN}.
   */
  void evaluate(VectorSchemaRoot chunk, byte[][] labels);

  /**
   * As {@link #evaluate(VectorSchemaRoot, byte[][])} for a chunk whose dictionary-encoded columns decode
   * through {@code dictionaries}; only evaluators that read such columns need to override it.
   */
  default void evaluate(VectorSchemaRoot chunk, DictionaryProvider dictionaries, byte[][] labels) {
    evaluate(chunk, labels);
  }
}
