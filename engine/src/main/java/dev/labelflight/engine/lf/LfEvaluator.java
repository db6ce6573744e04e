package dev.labelflight.engine.lf;

import org.apache.arrow.vector.VectorSchemaRoot;

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
}
