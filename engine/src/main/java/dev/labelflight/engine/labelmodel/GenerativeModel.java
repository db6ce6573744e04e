package dev.labelflight.engine.labelmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;

/**
 * A generative label model fitted without gold by Dawid-Skene expectation maximization: the true class
 * is latent with prior {@code pi}, and each LF votes (or abstains) independently given the class with a
 * learned class-conditional table {@code P(vote | class)}, abstain included, so one-sided LFs are modelled
 * as well as two-sided ones. Fitted from {@link VotePatterns}, so one EM step costs the number of
 * distinct vote patterns, not rows; or, when the patterns are too many to keep, by a {@link Fitter} fed
 * the label chunks again every epoch. Started from majority vote, which anchors classes to their names.
 */
public final class GenerativeModel implements LabelModel {
  static final String KIND = "generative";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Dirichlet pseudo-count added to every cell of every table: keeps log-probabilities finite. */
  private static final double SMOOTHING = 0.01;

  private final int classes;
  private final int lfs;
  private final double[] balance;
  /** {@code table[lf][c * (k + 1) + vote + 1]} = P(vote | class c). */
  private final double[][] table;
  private final int epochs;

  private GenerativeModel(int classes, int lfs, double[] balance, double[][] table, int epochs) {
    this.classes = classes;
    this.lfs = lfs;
    this.balance = balance;
    this.table = table;
    this.epochs = epochs;
  }

  /** Fit options: a fixed class balance (null = learn it), the EM step limit and the stopping tolerance. */
  public record Options(double[] classBalance, int maxEpochs, double tolerance) {
    public static Options defaults() {
      return new Options(null, 100, 1e-6);
    }
  }

  /** Fits the model to the vote patterns of a whole label matrix (one EM epoch = one pass over the patterns). */
  public static GenerativeModel fit(VotePatterns patterns, int classes, Options options) {
    Fitter fitter = new Fitter(patterns.lfs(), classes, options);
    LabelChunk distinct = patterns.asChunk();
    long[] counts = patterns.counts();
    while (!fitter.done()) {
      fitter.add(distinct, counts);
      fitter.endEpoch();
    }
    return fitter.model();
  }

  /**
   * A fit in progress, for label matrices too varied for {@link VotePatterns}: every epoch, feed every row
   * once (chunk by chunk, in any order) with {@link #add}, then call {@link #endEpoch}, until {@link #done}.
   * Memory: a few numbers per LF, class and vote, plus one chunk's scratch. The first epoch takes majority
   * vote as the posterior, which anchors each class to its name.
   */
  public static final class Fitter {
    private final int classes;
    private final int lfs;
    private final int width;
    private final Options options;
    private final double[] pi;
    private final double[][] table;
    private final double[] logPi;
    private final double[][] logTable;
    private final double[] mass;
    private final double[][] stats;
    private double[][] scratch = new double[0][];
    private double logLikelihood;
    private double previous = Double.NaN;
    private long rows;
    private int epochs;
    private boolean done;

    public Fitter(int lfs, int classes, Options options) {
      if (classes < 2) {
        throw LabelFlightException.invalid("a label model needs at least 2 classes, not " + classes);
      }
      if (options.classBalance() != null) {
        validateBalance(options.classBalance(), classes);
      }
      this.classes = classes;
      this.lfs = lfs;
      this.width = classes + 1;
      this.options = options;
      pi = new double[classes];
      table = new double[lfs][classes * width];
      logPi = new double[classes];
      logTable = new double[lfs][classes * width];
      mass = new double[classes];
      stats = new double[lfs][classes * width];
    }

    /** Adds rows to this epoch; {@code counts} gives each row's multiplicity (null: 1 each). */
    public void add(LabelChunk chunk, long[] counts) {
      if (chunk.lfs() != lfs) {
        throw LabelFlightException.invalid("label chunk has " + chunk.lfs() + " LFs, expected " + lfs);
      }
      int n = chunk.rows();
      byte[][] labels = chunk.labels();
      if (scratch.length == 0 || scratch[0].length < n) {
        scratch = new double[classes][Math.max(n, 1)];
      }
      double[][] q = scratch;
      if (epochs == 0) {
        majorityVote(labels, n, q);
      } else {
        posterior(labels, n, q, counts);
      }
      for (int c = 0; c < classes; c++) {
        double[] qc = q[c];
        if (counts != null) {
          for (int r = 0; r < n; r++) {
            qc[r] *= counts[r];
          }
        }
        double sum = 0;
        for (int r = 0; r < n; r++) {
          sum += qc[r];
        }
        mass[c] += sum;
        int base = c * width + 1;
        for (int j = 0; j < lfs; j++) {
          double[] s = stats[j];
          byte[] column = labels[j];
          for (int r = 0; r < n; r++) {
            s[base + column[r]] += qc[r];
          }
        }
      }
      if (counts == null) {
        rows += n;
      } else {
        for (int r = 0; r < n; r++) {
          rows += counts[r];
        }
      }
    }

    private void majorityVote(byte[][] labels, int n, double[][] q) {
      for (int c = 0; c < classes; c++) {
        java.util.Arrays.fill(q[c], 0, n, 0.0);
      }
      for (byte[] column : labels) {
        for (int r = 0; r < n; r++) {
          int v = column[r];
          if (v < -1 || v >= classes) {
            throw LabelFlightException.invalid("label " + v + " is outside the model's " + classes + " classes");
          }
          if (v >= 0) {
            q[v][r] += 1;
          }
        }
      }
      for (int r = 0; r < n; r++) {
        double max = 0;
        for (int c = 0; c < classes; c++) {
          max = Math.max(max, q[c][r]);
        }
        int ties = 0;
        for (int c = 0; c < classes; c++) {
          ties += q[c][r] == max ? 1 : 0;
        }
        for (int c = 0; c < classes; c++) {
          q[c][r] = q[c][r] == max ? 1.0 / ties : 0.0;
        }
      }
    }

    /** q[c][r] = P(class c | votes of row r) under the current parameters; adds the rows' log-likelihood. */
    private void posterior(byte[][] labels, int n, double[][] q, long[] counts) {
      for (int c = 0; c < classes; c++) {
        double[] score = q[c];
        java.util.Arrays.fill(score, 0, n, logPi[c]);
        int base = c * width + 1;
        for (int j = 0; j < lfs; j++) {
          double[] lt = logTable[j];
          byte[] column = labels[j];
          for (int r = 0; r < n; r++) {
            score[r] += lt[base + column[r]];
          }
        }
      }
      for (int r = 0; r < n; r++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
          max = Math.max(max, q[c][r]);
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) {
          double e = Math.exp(q[c][r] - max);
          q[c][r] = e;
          sum += e;
        }
        for (int c = 0; c < classes; c++) {
          q[c][r] /= sum;
        }
        logLikelihood += (counts == null ? 1 : counts[r]) * (max + Math.log(sum));
      }
    }

    /** Ends an epoch: new parameters from this epoch's posteriors (M-step); decides whether to stop. */
    public void endEpoch() {
      double total = 0;
      for (double x : mass) {
        total += x;
      }
      double[] fixed = options.classBalance();
      for (int c = 0; c < classes; c++) {
        pi[c] = fixed != null ? fixed[c] : (mass[c] + SMOOTHING) / (total + classes * SMOOTHING);
        logPi[c] = Math.log(pi[c]);
        double denominator = mass[c] + width * SMOOTHING;
        for (int j = 0; j < lfs; j++) {
          for (int v = 0; v < width; v++) {
            int i = c * width + v;
            table[j][i] = (stats[j][i] + SMOOTHING) / denominator;
            logTable[j][i] = Math.log(table[j][i]);
          }
        }
      }
      epochs++;
      double perRow = logLikelihood / Math.max(1, rows);
      // Epoch 1 had no likelihood (majority-vote start); from epoch 3 on, two comparable values exist.
      if (epochs >= options.maxEpochs() || (epochs > 2 && Math.abs(perRow - previous) < options.tolerance())) {
        done = true;
      }
      previous = perRow;
      logLikelihood = 0;
      rows = 0;
      java.util.Arrays.fill(mass, 0);
      for (double[] s : stats) {
        java.util.Arrays.fill(s, 0);
      }
    }

    public boolean done() {
      return done;
    }

    public int epochs() {
      return epochs;
    }

    /** The model as of the last finished epoch. */
    public GenerativeModel model() {
      if (epochs == 0) {
        throw new IllegalStateException("no epoch finished yet");
      }
      double[][] copy = new double[lfs][];
      for (int j = 0; j < lfs; j++) {
        copy[j] = table[j].clone();
      }
      return new GenerativeModel(classes, lfs, pi.clone(), copy, epochs);
    }
  }

  private static void validateBalance(double[] balance, int classes) {
    if (balance.length != classes) {
      throw LabelFlightException.invalid("'classBalance' has " + balance.length + " entries; there are " + classes + " classes");
    }
    double sum = 0;
    for (double b : balance) {
      if (!(b > 0) || b > 1) {
        throw LabelFlightException.invalid("'classBalance' entries must be in (0, 1]");
      }
      sum += b;
    }
    if (Math.abs(sum - 1) > 1e-6) {
      throw LabelFlightException.invalid("'classBalance' must sum to 1, not " + sum);
    }
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

  /** EM steps taken by the fit. */
  public int epochs() {
    return epochs;
  }

  @Override
  public double[] classBalance() {
    return balance.clone();
  }

  /** P(vote = class | class, LF votes), averaged over the class prior: each LF's accuracy when it votes. */
  @Override
  public double[] weights() {
    int width = classes + 1;
    double[] acc = new double[lfs];
    for (int j = 0; j < lfs; j++) {
      double right = 0;
      double voting = 0;
      for (int c = 0; c < classes; c++) {
        right += balance[c] * table[j][c * width + c + 1];
        voting += balance[c] * (1 - table[j][c * width]);
      }
      acc[j] = voting > 0 ? right / voting : 0;
    }
    return acc;
  }

  @Override
  public void predictProba(LabelChunk chunk, double[][] probs) {
    if (chunk.lfs() != lfs) {
      throw LabelFlightException.invalid("label chunk has " + chunk.lfs() + " LFs, the model was fitted on " + lfs);
    }
    int n = chunk.rows();
    int width = classes + 1;
    byte[][] labels = chunk.labels();
    for (int c = 0; c < classes; c++) {
      double[] score = probs[c];
      java.util.Arrays.fill(score, 0, n, Math.log(balance[c]));
      double[] logVote = new double[width];
      for (int j = 0; j < lfs; j++) {
        for (int v = 0; v < width; v++) {
          logVote[v] = Math.log(table[j][c * width + v]);
        }
        byte[] column = labels[j];
        for (int r = 0; r < n; r++) {
          int v = column[r];
          if (v < -1 || v >= classes) {
            throw LabelFlightException.invalid("label " + v + " is outside the model's " + classes + " classes");
          }
          score[r] += logVote[v + 1];
        }
      }
    }
    for (int r = 0; r < n; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        max = Math.max(max, probs[c][r]);
      }
      double sum = 0;
      for (int c = 0; c < classes; c++) {
        double e = Math.exp(probs[c][r] - max);
        probs[c][r] = e;
        sum += e;
      }
      for (int c = 0; c < classes; c++) {
        probs[c][r] /= sum;
      }
    }
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode().put("kind", KIND).put("classes", classes).put("lfs", lfs)
        .put("epochs", epochs);
    ArrayNode pi = root.putArray("classBalance");
    for (double b : balance) {
      pi.add(b);
    }
    ArrayNode tables = root.putArray("tables");
    for (double[] t : table) {
      ArrayNode row = tables.addArray();
      for (double x : t) {
        row.add(x);
      }
    }
    return root;
  }

  static GenerativeModel fromJson(JsonNode node) {
    int classes = node.path("classes").asInt();
    int lfs = node.path("lfs").asInt();
    double[] balance = new double[classes];
    for (int c = 0; c < classes; c++) {
      balance[c] = node.path("classBalance").path(c).asDouble();
    }
    double[][] table = new double[lfs][classes * (classes + 1)];
    for (int j = 0; j < lfs; j++) {
      for (int i = 0; i < table[j].length; i++) {
        table[j][i] = node.path("tables").path(j).path(i).asDouble();
      }
    }
    return new GenerativeModel(classes, lfs, balance, table, node.path("epochs").asInt());
  }
}
