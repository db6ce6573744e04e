package dev.labelflight.engine.review;

import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.labelmodel.LabelModel;
import dev.labelflight.engine.error.LabelFlightException;
import java.util.List;

/**
 * A fitted label model applied to a job's label chunks: class probabilities per row, from the job's own LF
 * columns (the model's LFs are found among the job's by name, in the model's order).
 */
public final class ModelScores {
  private final String id;
  private final LabelModel model;
  private final int[] columns;

  private ModelScores(String id, LabelModel model, int[] columns) {
    this.id = id;
    this.model = model;
    this.columns = columns;
  }

  /**
   * {@code model} (fitted with LFs {@code modelLfs} over {@code modelClasses}) for a job with LFs
   * {@code jobLfs} and classes {@code jobClasses}; INVALID_ARGUMENT when the classes differ or an LF of the
   * model is not in the job (naming it).
   */
  public static ModelScores of(String id, LabelModel model, List<String> modelLfs, List<String> modelClasses,
      List<String> jobLfs, List<String> jobClasses) {
    if (!modelClasses.equals(jobClasses)) {
      throw LabelFlightException.invalid("label model '" + id + "' has classes " + modelClasses + "; the job has " + jobClasses);
    }
    int[] columns = new int[modelLfs.size()];
    for (int i = 0; i < columns.length; i++) {
      columns[i] = jobLfs.indexOf(modelLfs.get(i));
      if (columns[i] < 0) {
        throw LabelFlightException.invalid("label model '" + id + "' needs LF '" + modelLfs.get(i) + "', which the job lacks");
      }
    }
    return new ModelScores(id, model, columns);
  }

  public String id() {
    return id;
  }

  public int classes() {
    return model.classes();
  }

  /** Fills {@code probs[class][row]} for the rows of {@code chunk} (a chunk of all the job's LFs). */
  public void predictProba(LabelChunk chunk, double[][] probs) {
    model.predictProba(chunk.select(columns), probs);
  }
}
