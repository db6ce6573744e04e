package dev.labelflight.engine.labelmodel;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.labelmatrix.LabelChunk;

/** A fitted label model: turns a chunk of LF votes into class probabilities per row. Immutable, thread-safe. */
public interface LabelModel {
  /** {@code majority} or {@code generative}. */
  String kind();

  int classes();

  int lfs();

  /** The class prior the model uses. */
  double[] classBalance();

  /** One number per LF: its learned accuracy (generative) or vote weight (majority). */
  double[] weights();

  /**
   * Fills {@code probs[class][row]} for the chunk's rows; every row sums to 1, except for a
   * {@link MultiLabelModel}, whose entries are independent P(row has the class).
   */
  void predictProba(LabelChunk chunk, double[][] probs);

  /** Everything needed to rebuild the model with {@link LabelModels#fromJson}. */
  ObjectNode toJson();
}
