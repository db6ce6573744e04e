package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.Arrays;

/**
 * Weighted majority vote: each LF's vote counts {@code log(a (k - 1) / (1 - a))}, the log-odds of its
 * estimated accuracy {@code a} against a uniformly wrong vote, where {@code a} is its smoothed agreement with
 * the other LFs' majority ({@link LeaveOneOutAgreement}); LFs estimated no better than random count 0. With
 * equal accuracies it is majority vote; it is the naive-Bayes posterior of the symmetric noise model. One
 * pass; the class prior is uniform unless given.
 */
public final class WeightedMajority {
  private WeightedMajority() {}

  /** The log-odds weight of an LF of accuracy {@code a} among {@code k} classes (0 at a = 1/k). */
  static double weight(double a, int k) {
    return Math.max(0, Math.log(a * (k - 1) / (1 - a)));
  }

  /** Builds the log-linear form of a vote weighted per LF with the given accuracies. */
  static LogLinearModel model(ModelKind kind, int classes, double[] accuracy, double[] classBalance) {
    int lfs = accuracy.length;
    double[] pi = classBalance != null ? classBalance.clone() : uniform(classes);
    double[] bias = new double[classes];
    for (int c = 0; c < classes; c++) {
      bias[c] = Math.log(pi[c]);
    }
    double[] agree = new double[lfs * classes];
    for (int j = 0; j < lfs; j++) {
      Arrays.fill(agree, j * classes, (j + 1) * classes, weight(accuracy[j], classes));
    }
    return new LogLinearModel(kind, classes, lfs, pi, accuracy, bias, null, agree, null);
  }

  static double[] uniform(int classes) {
    double[] pi = new double[classes];
    Arrays.fill(pi, 1.0 / classes);
    return pi;
  }

  public static final class Fitter implements ModelFitter {
    private final int classes;
    private final int lfs;
    private final double[] classBalance;
    private final RowVotes rv = new RowVotes();
    private final LeaveOneOutAgreement agreement;
    private LogLinearModel model;

    public Fitter(int lfs, int classes, double[] classBalance) {
      if (classes < 2) {
        throw LabelFlightException.invalid("a label model needs at least 2 classes, not " + classes);
      }
      this.classes = classes;
      this.lfs = lfs;
      this.classBalance = classBalance;
      agreement = new LeaveOneOutAgreement(lfs, classes);
    }

    @Override
    public ModelKind kind() {
      return ModelKind.WEIGHTED_MAJORITY;
    }

    @Override
    public boolean needsPass() {
      return model == null;
    }

    @Override
    public void add(LabelChunk chunk, long[] counts) {
      rv.load(chunk, classes);
      for (int r = 0; r < rv.rows; r++) {
        agreement.add(rv, rv.start[r], rv.start[r + 1], counts == null ? 1 : counts[r]);
      }
    }

    @Override
    public void endPass() {
      double[] accuracy = new double[lfs];
      for (int j = 0; j < lfs; j++) {
        accuracy[j] = agreement.accuracy(j);
      }
      model = WeightedMajority.model(ModelKind.WEIGHTED_MAJORITY, classes, accuracy, classBalance);
    }

    @Override
    public LabelModel model() {
      if (model == null) {
        throw new IllegalStateException("not fitted yet");
      }
      return model;
    }

    @Override
    public FitReport report() {
      return FitReport.closedForm(ModelKind.WEIGHTED_MAJORITY, 1,
          "weights from each LF's agreement with the other LFs' majority");
    }
  }
}
