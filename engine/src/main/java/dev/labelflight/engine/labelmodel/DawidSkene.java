package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.ArrayList;
import java.util.List;

/**
 * Dawid and Skene's model (1979): the true class is latent with prior {@code pi}; each LF {@code j} has a
 * full confusion matrix {@code theta[j][c][v] = P(LF j votes v | class c)} plus its abstain rate per class,
 * and LFs are independent given the class. Fitted by EM started from majority vote (which anchors classes
 * to their names), with a small Dirichlet smoothing. Parameters and work per vote grow as LFs x classes^2,
 * so it is offered up to {@link LogLinearModel#MAX_FULL_TERMS}; {@link GenerativeModel} is the
 * O(LFs x classes) relative for larger label spaces.
 */
public final class DawidSkene {
  /** Pseudo-count added to every cell of a confusion row (votes and abstain). */
  static final double SMOOTHING = 0.1;

  private DawidSkene() {}

  /** An EM fit over passes of the label matrix; one pass per epoch. */
  public static final class Fitter implements ModelFitter {
    private final int classes;
    private final int lfs;
    private final double[] fixedBalance;
    private final int maxEpochs;
    private final double tolerance;
    private final RowVotes rv = new RowVotes();
    private final int[] tally;
    private final double[] q;
    /** Current model (null before the first epoch: majority vote is the first posterior). */
    private LogLinearModel current;
    private double[] mass;
    /** {@code [(j * k + c) * k + v]}: expected count of rows of class c where LF j votes v. */
    private double[] confusion;
    private double rows;
    private double logLikelihood;
    private final List<Double> loss = new ArrayList<>();
    private int epochs;
    private boolean done;
    private boolean converged;

    public Fitter(int lfs, int classes, double[] classBalance, int maxEpochs, double tolerance) {
      if (classes < 2) {
        throw LabelFlightException.invalid("a label model needs at least 2 classes, not " + classes);
      }
      if (!LogLinearModel.fullFits(lfs, classes)) {
        throw LabelFlightException.exhausted("dawid-skene keeps a " + classes + " x " + classes + " confusion matrix per LF: "
            + lfs + " LFs x " + classes + " classes is more than " + LogLinearModel.MAX_FULL_TERMS
            + " parameters; use the generative model").withDetail(LabelFlightException.Detail.LIMIT,
            LogLinearModel.MAX_FULL_TERMS);
      }
      this.classes = classes;
      this.lfs = lfs;
      this.fixedBalance = classBalance;
      this.maxEpochs = maxEpochs;
      this.tolerance = tolerance;
      tally = new int[classes];
      q = new double[classes];
      reset();
    }

    private void reset() {
      mass = new double[classes];
      confusion = new double[lfs * classes * classes];
      rows = 0;
      logLikelihood = 0;
    }

    @Override
    public ModelKind kind() {
      return ModelKind.DAWID_SKENE;
    }

    @Override
    public boolean needsPass() {
      return !done;
    }

    @Override
    public void add(LabelChunk chunk, long[] counts) {
      if (chunk.lfs() != lfs) {
        throw LabelFlightException.invalid("label chunk has " + chunk.lfs() + " LFs, expected " + lfs);
      }
      int k = classes;
      rv.load(chunk, k);
      for (int r = 0; r < rv.rows; r++) {
        double w = counts == null ? 1 : counts[r];
        int from = rv.start[r];
        int to = rv.start[r + 1];
        if (current == null) {
          rv.majority(from, to, q, tally);
        } else {
          logLikelihood += w * current.posterior(rv, from, to, q);
        }
        for (int c = 0; c < k; c++) {
          mass[c] += w * q[c];
        }
        for (int i = from; i < to; i++) {
          int base = rv.lf[i] * k * k + rv.vote[i];
          for (int c = 0; c < k; c++) {
            confusion[base + c * k] += w * q[c];
          }
        }
        rows += w;
      }
    }

    @Override
    public void endPass() {
      int k = classes;
      double[] pi = new double[k];
      double total = 0;
      for (double m : mass) {
        total += m;
      }
      for (int c = 0; c < k; c++) {
        pi[c] = fixedBalance != null ? fixedBalance[c] : (mass[c] + SMOOTHING) / (total + k * SMOOTHING);
      }
      double[] bias = new double[k];
      double[] full = new double[lfs * k * k];
      double[] accuracy = new double[lfs];
      for (int c = 0; c < k; c++) {
        bias[c] = Math.log(pi[c]);
      }
      for (int j = 0; j < lfs; j++) {
        double agreeing = 0;
        double voting = 0;
        for (int c = 0; c < k; c++) {
          int row = (j * k + c) * k;
          double voted = 0;
          for (int v = 0; v < k; v++) {
            voted += confusion[row + v];
          }
          double denominator = mass[c] + (k + 1) * SMOOTHING;
          double logAbstain = Math.log(Math.max(0, mass[c] - voted) + SMOOTHING) - Math.log(denominator);
          bias[c] += logAbstain;
          for (int v = 0; v < k; v++) {
            double p = (confusion[row + v] + SMOOTHING) / denominator;
            // full[j, v, c]: what LF j voting v adds to class c, over abstaining.
            full[(j * k + v) * k + c] = Math.log(p) - logAbstain;
          }
          double pVote = (voted + k * SMOOTHING) / denominator;
          agreeing += pi[c] * (confusion[row + c] + SMOOTHING) / denominator;
          voting += pi[c] * pVote;
        }
        accuracy[j] = voting > 0 ? agreeing / voting : 0;
      }
      boolean first = current == null;
      current = new LogLinearModel(ModelKind.DAWID_SKENE, k, lfs, pi, accuracy, bias, null, null, full);
      epochs++;
      if (!first) {
        double perRow = -logLikelihood / Math.max(1, rows);
        double previous = loss.isEmpty() ? Double.NaN : loss.get(loss.size() - 1);
        loss.add(perRow);
        if (!Double.isNaN(previous) && Math.abs(previous - perRow) < tolerance) {
          converged = true;
          done = true;
        }
      }
      if (epochs >= maxEpochs) {
        done = true;
      }
      reset();
    }

    @Override
    public LabelModel model() {
      if (current == null) {
        throw new IllegalStateException("no epoch finished yet");
      }
      return current;
    }

    @Override
    public FitReport report() {
      return new FitReport(ModelKind.DAWID_SKENE, epochs, converged, "negative log-likelihood per row", List.copyOf(loss),
          epochs, converged ? null : "stopped at the cap of " + maxEpochs + " EM epochs before the loss settled");
    }
  }
}
