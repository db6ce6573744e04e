package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.labelmatrix.LabelChunk;

/**
 * A fit in progress that reads the label matrix in passes: while {@link #needsPass()}, feed every row
 * once (chunk by chunk, any order, each chunk with the multiplicity of its rows or null for 1 each) with
 * {@link #add}, then call {@link #endPass()}. Memory: the model's parameters and statistics, never the
 * matrix. Several fitters can share the same passes (what {@code auto} does).
 */
public interface ModelFitter {
  ModelKind kind();

  boolean needsPass();

  void add(LabelChunk chunk, long[] counts);

  void endPass();

  /** The fitted model; only once {@link #needsPass()} is false. */
  LabelModel model();

  /** How the fit went: passes, loss per epoch, whether it converged. */
  FitReport report();
}
