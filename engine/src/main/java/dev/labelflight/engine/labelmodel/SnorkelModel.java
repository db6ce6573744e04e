package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Snorkel's {@code LabelModel} (Ratner et al., 2019), the matrix-completion model: with {@code O} the
 * overlap matrix of the one-hot votes ({@code d x d}, {@code d = LFs x classes}, {@code O[a][b]} = share of
 * rows where vote a and vote b both occur), {@code P = diag(class balance)} and {@code mu[j*k + v][c] =
 * P(LF j votes v | class c)}, it minimizes {@code ||(O - mu P mu^T)[mask]||^2 + ||rowsum(mu P) - diag(O)||^2}
 * (the mask leaves out each LF's own block), as Snorkel 0.10 does with its defaults: mu started at
 * {@code P(LF votes c) * 0.7 / p_c} on the diagonal, gradient steps (Adam, learning rate 0.01, until the
 * objective settles or 2,000 steps), then mu clamped to {@code [mu_eps, 1 - mu_eps]} and the columns of classes with
 * equal prior permuted to trust the LFs most (Snorkel's {@code _break_col_permutation_symmetry}). Prediction
 * is Snorkel's: {@code P(c | row) ~ p_c prod over voting LFs of mu[j*k + v][c]} (abstains ignored).
 *
 * <p>Differences from Snorkel, on purpose: mu starts exactly at its initial value (Snorkel scales it by one
 * random number), the optimizer runs until the objective settles rather than a fixed 100 SGD steps (which
 * leave it far from its minimum from this start: recovered LF accuracies 0.07 off instead of 0.006 on a
 * 10-LF test matrix), and the loss is computed in double precision. One pass builds {@code O}; memory is
 * {@code d^2} doubles, so the model is offered up to {@value #MAX_DIMENSION} one-hot columns.
 */
public final class SnorkelModel {
  /** The largest LFs x classes accepted (O is its square in doubles: 18 MiB). */
  public static final int MAX_DIMENSION = 1536;
  static final double PREC_INIT = 0.7;

  private SnorkelModel() {}

  /** Fit settings: the step cap and Adam's learning rate. */
  public record Options(double[] classBalance, int epochs, double learningRate) {
    public static Options defaults(double[] classBalance) {
      return new Options(classBalance, 2_000, 0.01);
    }
  }

  public static final class Fitter implements ModelFitter {
    private final int classes;
    private final int lfs;
    private final int d;
    private final Options options;
    private final RowVotes rv = new RowVotes();
    private final double[] overlap;
    private double rows;
    private LogLinearModel model;
    private final List<Double> loss = new ArrayList<>();
    private boolean converged;

    public Fitter(int lfs, int classes, Options options) {
      if (classes < 2) {
        throw LabelFlightException.invalid("a label model needs at least 2 classes, not " + classes);
      }
      if (lfs < 3) {
        throw LabelFlightException.invalid("Snorkel's label model needs at least 3 LFs, the job has " + lfs);
      }
      if ((long) lfs * classes > MAX_DIMENSION) {
        throw LabelFlightException.exhausted("Snorkel's label model keeps a (LFs x classes)^2 overlap matrix: " + lfs
            + " LFs x " + classes + " classes is more than " + MAX_DIMENSION + " columns; use the generative model")
            .withDetail(LabelFlightException.Detail.LIMIT, MAX_DIMENSION);
      }
      this.classes = classes;
      this.lfs = lfs;
      this.d = lfs * classes;
      this.options = options;
      overlap = new double[d * d];
    }

    @Override
    public ModelKind kind() {
      return ModelKind.SNORKEL;
    }

    @Override
    public boolean needsPass() {
      return model == null;
    }

    @Override
    public void add(LabelChunk chunk, long[] counts) {
      rv.load(chunk, classes);
      int k = classes;
      for (int r = 0; r < rv.rows; r++) {
        double w = counts == null ? 1 : counts[r];
        int from = rv.start[r];
        int to = rv.start[r + 1];
        for (int a = from; a < to; a++) {
          int ia = rv.lf[a] * k + rv.vote[a];
          int base = ia * d;
          for (int b = from; b < to; b++) {
            overlap[base + rv.lf[b] * k + rv.vote[b]] += w;
          }
        }
        rows += w;
      }
    }

    @Override
    public void endPass() {
      if (rows == 0) {
        throw LabelFlightException.invalid("Snorkel's label model needs at least one row");
      }
      int k = classes;
      for (int i = 0; i < overlap.length; i++) {
        overlap[i] /= rows;
      }
      double[] p = options.classBalance() != null ? options.classBalance().clone() : WeightedMajority.uniform(k);
      double[] mu = new double[d * k];
      double[] muInit = new double[d * k];
      for (int j = 0; j < lfs; j++) {
        for (int y = 0; y < k; y++) {
          int a = j * k + y;
          muInit[a * k + y] = Math.max(0, Math.min(1, overlap[a * d + a] * PREC_INIT / p[y]));
        }
      }
      System.arraycopy(muInit, 0, mu, 0, mu.length);
      double[] grad = new double[d * k];
      double[] muP = new double[d * k];
      double[] residual = new double[d];
      double previous = Double.NaN;
      int epochs = options.epochs();
      // Adam (Snorkel offers it too): plain SGD at Snorkel's default rate is far from converged after its
      // 100 steps from this start; Adam settles in a few hundred steps and stops when the objective does.
      double[] m1 = new double[mu.length];
      double[] m2 = new double[mu.length];
      double beta1 = 0.9;
      double beta2 = 0.999;
      double b1t = 1;
      double b2t = 1;
      int quiet = 0;
      for (int epoch = 0; epoch < epochs; epoch++) {
        double value = lossAndGradient(mu, p, muP, residual, grad);
        if (Double.isNaN(value)) {
          throw LabelFlightException.invalid("Snorkel's label model: the loss became NaN; try a smaller learning rate");
        }
        loss.add(value);
        b1t *= beta1;
        b2t *= beta2;
        for (int i = 0; i < mu.length; i++) {
          m1[i] = beta1 * m1[i] + (1 - beta1) * grad[i];
          m2[i] = beta2 * m2[i] + (1 - beta2) * grad[i] * grad[i];
          mu[i] -= options.learningRate() * (m1[i] / (1 - b1t)) / (Math.sqrt(m2[i] / (1 - b2t)) + 1e-8);
        }
        quiet = !Double.isNaN(previous) && Math.abs(previous - value) <= 1e-6 * Math.max(1e-12, Math.abs(previous))
            ? quiet + 1 : 0;
        previous = value;
        if (quiet >= 10) {
          converged = true;
          break;
        }
      }
      double muEps = Math.min(0.01, 1 / Math.pow(10, Math.ceil(Math.log10(rows))));
      for (int i = 0; i < mu.length; i++) {
        mu[i] = Math.max(muEps, Math.min(1 - muEps, mu[i]));
      }
      breakSymmetry(mu, p);
      double[] bias = new double[k];
      for (int c = 0; c < k; c++) {
        bias[c] = Math.log(p[c]);
      }
      double[] full = new double[d * k];
      for (int i = 0; i < full.length; i++) {
        full[i] = Math.log(mu[i]);
      }
      double[] accuracy = new double[lfs];
      for (int j = 0; j < lfs; j++) {
        double coverage = 0;
        double acc = 0;
        for (int c = 0; c < k; c++) {
          int a = j * k + c;
          coverage += overlap[a * d + a];
          acc += mu[a * k + c] * p[c];
        }
        accuracy[j] = coverage > 0 ? Math.max(1e-6, Math.min(1, acc / coverage)) : 1e-6;
      }
      model = new LogLinearModel(ModelKind.SNORKEL, k, lfs, p, accuracy, bias, null, null, full);
    }

    /**
     * The objective at {@code mu} and its gradient: with {@code R = M .* (O - mu P mu^T)} (symmetric),
     * d/dmu of {@code ||R||^2} is {@code -4 R mu P}; of {@code ||rowsum(mu P) - diag(O)||^2} it is
     * {@code 2 (rowsum - diag) p^T}.
     */
    private double lossAndGradient(double[] mu, double[] p, double[] muP, double[] residual, double[] grad) {
      int k = classes;
      for (int a = 0; a < d; a++) {
        for (int c = 0; c < k; c++) {
          muP[a * k + c] = mu[a * k + c] * p[c];
        }
      }
      Arrays.fill(grad, 0.0);
      double loss1 = 0;
      for (int a = 0; a < d; a++) {
        int lfA = a / k;
        int rowA = a * k;
        // residual[b] = M_ab (O_ab - sum_c mu_ac p_c mu_bc)
        for (int b = 0; b < d; b++) {
          if (b / k == lfA) {
            residual[b] = 0;
            continue;
          }
          double approx = 0;
          int rowB = b * k;
          for (int c = 0; c < k; c++) {
            approx += muP[rowA + c] * mu[rowB + c];
          }
          double r = overlap[a * d + b] - approx;
          residual[b] = r;
          loss1 += r * r;
        }
        // grad[a][c] += -4 p_c sum_b R_ab mu_bc
        for (int b = 0; b < d; b++) {
          double r = residual[b];
          if (r == 0) {
            continue;
          }
          int rowB = b * k;
          for (int c = 0; c < k; c++) {
            grad[rowA + c] -= 4 * r * mu[rowB + c] * p[c];
          }
        }
      }
      double loss2 = 0;
      for (int a = 0; a < d; a++) {
        double s = 0;
        for (int c = 0; c < k; c++) {
          s += muP[a * k + c];
        }
        double diff = s - overlap[a * d + a];
        loss2 += diff * diff;
        for (int c = 0; c < k; c++) {
          grad[a * k + c] += 2 * diff * p[c];
        }
      }
      return loss1 + loss2;
    }

    /** Snorkel's column permutation within groups of classes of equal prior: maximize the LFs' summed accuracy. */
    private void breakSymmetry(double[] mu, double[] p) {
      int k = classes;
      double[][] sum = new double[k][k];
      for (int j = 0; j < lfs; j++) {
        for (int a = 0; a < k; a++) {
          for (int b = 0; b < k; b++) {
            sum[a][b] += mu[(j * k + a) * k + b] * p[b];
          }
        }
      }
      int[] target = new int[k];
      boolean[] grouped = new boolean[k];
      for (int c = 0; c < k; c++) {
        if (grouped[c]) {
          continue;
        }
        List<Integer> group = new ArrayList<>();
        for (int e = c; e < k; e++) {
          if (!grouped[e] && Math.round(p[e] * 1000) == Math.round(p[c] * 1000)) {
            group.add(e);
            grouped[e] = true;
          }
        }
        int g = group.size();
        double[][] cost = new double[g][g];
        for (int x = 0; x < g; x++) {
          for (int y = 0; y < g; y++) {
            // Column group[y] of mu goes to position group[x]: it then scores sum[group[x]][group[y]].
            cost[x][y] = -sum[group.get(x)][group.get(y)];
          }
        }
        int[] assignment = Hungarian.solve(cost);
        for (int x = 0; x < g; x++) {
          target[group.get(x)] = group.get(assignment[x]);
        }
      }
      double[] permuted = new double[mu.length];
      for (int a = 0; a < d; a++) {
        for (int c = 0; c < k; c++) {
          permuted[a * k + c] = mu[a * k + target[c]];
        }
      }
      System.arraycopy(permuted, 0, mu, 0, mu.length);
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
      return new FitReport(ModelKind.SNORKEL, loss.size(), converged, "matrix-completion objective",
          List.copyOf(loss), 1, converged ? null
              : "ran its " + options.epochs() + " gradient steps without the objective settling");
    }
  }
}
