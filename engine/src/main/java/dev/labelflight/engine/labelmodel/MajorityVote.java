package dev.labelflight.engine.labelmodel;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.Arrays;

/**
 * Snorkel's {@code MajorityLabelVoter.predict_proba}: each row spreads probability evenly over the classes
 * with the most votes; a row nobody votes on is uniform over all classes.
 */
public final class MajorityVote implements LabelModel {
  static final String KIND = "majority";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final int classes;
  private final int lfs;

  public MajorityVote(int classes, int lfs) {
    if (classes < 2) {
      throw LabelFlightException.invalid("a label model needs at least 2 classes, not " + classes);
    }
    this.classes = classes;
    this.lfs = lfs;
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public int classes() {
    return classes;
  }

  @Override
  public int lfs() {
    return lfs;
  }

  @Override
  public double[] classBalance() {
    double[] balance = new double[classes];
    Arrays.fill(balance, 1.0 / classes);
    return balance;
  }

  @Override
  public double[] weights() {
    double[] w = new double[lfs];
    Arrays.fill(w, 1.0);
    return w;
  }

  @Override
  public void predictProba(LabelChunk chunk, double[][] probs) {
    int n = chunk.rows();
    int[] counts = new int[classes * n];
    for (short[] column : chunk.labels()) {
      for (int r = 0; r < n; r++) {
        int v = column[r];
        if (v >= 0) {
          if (v >= classes) {
            throw LabelFlightException.invalid("label " + v + " is outside the model's " + classes + " classes");
          }
          counts[v * n + r]++;
        }
      }
    }
    for (int r = 0; r < n; r++) {
      int max = 0;
      for (int c = 0; c < classes; c++) {
        max = Math.max(max, counts[c * n + r]);
      }
      int ties = 0;
      for (int c = 0; c < classes; c++) {
        if (counts[c * n + r] == max) {
          ties++;
        }
      }
      double p = 1.0 / ties;
      for (int c = 0; c < classes; c++) {
        probs[c][r] = counts[c * n + r] == max ? p : 0.0;
      }
    }
  }

  @Override
  public ObjectNode toJson() {
    return JSON.createObjectNode().put("kind", KIND).put("classes", classes).put("lfs", lfs);
  }

  /** Majority vote needs no pass; the fitter exists so that it takes part in {@code auto} like the others. */
  public static final class Fitter implements ModelFitter {
    private final MajorityVote model;

    public Fitter(int lfs, int classes) {
      model = new MajorityVote(classes, lfs);
    }

    @Override
    public ModelKind kind() {
      return ModelKind.MAJORITY;
    }

    @Override
    public boolean needsPass() {
      return false;
    }

    @Override
    public void add(LabelChunk chunk, long[] counts) {
    }

    @Override
    public void endPass() {
    }

    @Override
    public LabelModel model() {
      return model;
    }

    @Override
    public FitReport report() {
      return FitReport.closedForm(ModelKind.MAJORITY, 0, "no parameters");
    }
  }
}
