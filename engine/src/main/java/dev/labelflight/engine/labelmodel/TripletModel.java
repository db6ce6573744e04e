package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.Arrays;

/**
 * A FlyingSquid-style triplet model (Fu et al., 2020), for any number of classes under the symmetric noise
 * model: LF {@code i} votes the true class with probability {@code a_i} and a wrong class uniformly
 * otherwise, independently given the class. Then on rows where LFs {@code i} and {@code j} both vote,
 * {@code M_ij = (k P(agree) - 1) / (k - 1) = s_i s_j} with {@code s_i = (k a_i - 1) / (k - 1)}, so any triple
 * gives {@code s_i^2 = M_ij M_il / M_jl} in closed form, without EM. Each LF's estimate is the median over
 * up to {@value #MAX_TRIPLES} triples (chosen in a fixed order, so the same data gives the same model); an
 * LF without a usable triple falls back to its agreement with the others' majority. Predictions weight each
 * vote by the log-odds of {@code a_i} (as {@link WeightedMajority}). One pass that counts co-votes and
 * agreements of every LF pair: memory LFs^2, capped at {@value #MAX_LFS} LFs.
 */
public final class TripletModel {
  static final int MAX_LFS = 3_000;
  static final int MAX_TRIPLES = 301;
  /** Rows two LFs must both vote on for their agreement rate to be used. */
  static final int MIN_OVERLAP = 20;
  /** |M_jl| below this is too close to zero to divide by. */
  static final double MIN_DENOMINATOR = 0.05;

  private TripletModel() {}

  public static final class Fitter implements ModelFitter {
    private final int classes;
    private final int lfs;
    private final double[] classBalance;
    private final RowVotes rv = new RowVotes();
    private final LeaveOneOutAgreement fallback;
    /** {@code [i * lfs + j]}, i < j: rows both vote on, rows they agree on. */
    private final int[] both;
    private final int[] agree;
    private LogLinearModel model;
    private int fromTriples;

    public Fitter(int lfs, int classes, double[] classBalance) {
      if (classes < 2) {
        throw LabelFlightException.invalid("a label model needs at least 2 classes, not " + classes);
      }
      if (lfs > MAX_LFS) {
        throw LabelFlightException.exhausted("the triplet model counts every pair of LFs: " + lfs + " LFs is more than "
            + MAX_LFS).withDetail(LabelFlightException.Detail.LIMIT, MAX_LFS);
      }
      this.classes = classes;
      this.lfs = lfs;
      this.classBalance = classBalance;
      fallback = new LeaveOneOutAgreement(lfs, classes);
      both = new int[lfs * lfs];
      agree = new int[lfs * lfs];
    }

    @Override
    public ModelKind kind() {
      return ModelKind.TRIPLET;
    }

    @Override
    public boolean needsPass() {
      return model == null;
    }

    @Override
    public void add(LabelChunk chunk, long[] counts) {
      rv.load(chunk, classes);
      for (int r = 0; r < rv.rows; r++) {
        int w = counts == null ? 1 : (int) Math.min(Integer.MAX_VALUE, counts[r]);
        int from = rv.start[r];
        int to = rv.start[r + 1];
        fallback.add(rv, from, to, w);
        // Votes of a row are in LF order (RowVotes loads column by column), so i < j below.
        for (int a = from; a < to; a++) {
          int i = rv.lf[a];
          int vi = rv.vote[a];
          int base = i * lfs;
          for (int b = a + 1; b < to; b++) {
            int cell = base + rv.lf[b];
            both[cell] += w;
            if (rv.vote[b] == vi) {
              agree[cell] += w;
            }
          }
        }
      }
    }

    /** M_ij, or NaN when the two LFs overlap on too few rows. */
    private double m(int i, int j) {
      int cell = i < j ? i * lfs + j : j * lfs + i;
      int n = both[cell];
      if (n < MIN_OVERLAP) {
        return Double.NaN;
      }
      return (classes * (double) agree[cell] / n - 1) / (classes - 1);
    }

    @Override
    public void endPass() {
      double[] accuracy = new double[lfs];
      double[] estimates = new double[MAX_TRIPLES];
      fromTriples = 0;
      for (int i = 0; i < lfs; i++) {
        int found = 0;
        for (int j = 0; j < lfs && found < MAX_TRIPLES; j++) {
          double mij = j == i ? Double.NaN : m(i, j);
          if (Double.isNaN(mij)) {
            continue;
          }
          for (int l = j + 1; l < lfs && found < MAX_TRIPLES; l++) {
            if (l == i) {
              continue;
            }
            double mil = m(i, l);
            double mjl = m(j, l);
            if (Double.isNaN(mil) || Double.isNaN(mjl) || Math.abs(mjl) < MIN_DENOMINATOR) {
              continue;
            }
            estimates[found++] = mij * mil / mjl;
          }
        }
        if (found == 0) {
          accuracy[i] = fallback.accuracy(i);
          continue;
        }
        fromTriples++;
        Arrays.sort(estimates, 0, found);
        double median = (found % 2 == 1) ? estimates[found / 2]
            : (estimates[found / 2 - 1] + estimates[found / 2]) / 2;
        double s = Math.sqrt(Math.max(0, Math.min(1, median)));
        double a = (1 + (classes - 1) * s) / classes;
        accuracy[i] = Math.max(1.0 / classes, Math.min(1 - 1e-3, a));
      }
      model = WeightedMajority.model(ModelKind.TRIPLET, classes, accuracy, classBalance);
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
      return FitReport.closedForm(ModelKind.TRIPLET, 1, fromTriples + " of " + lfs
          + " LF accuracies from triples, the rest from agreement with the others' majority");
    }
  }
}
