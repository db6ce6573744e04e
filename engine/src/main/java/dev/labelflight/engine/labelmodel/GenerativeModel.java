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
 * distinct vote patterns, not rows. Started from majority vote, which anchors classes to their names.
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

  /** Fits the model to the vote patterns of a whole label matrix. */
  public static GenerativeModel fit(VotePatterns patterns, int classes, Options options) {
    if (classes < 2) {
      throw LabelFlightException.invalid("a label model needs at least 2 classes, not " + classes);
    }
    double[] fixed = options.classBalance();
    if (fixed != null) {
      validateBalance(fixed, classes);
    }
    int m = patterns.lfs();
    int np = patterns.size();
    int width = classes + 1;
    // Responsibilities q[p * k + c], started from majority vote.
    double[] q = new double[np * classes];
    for (int p = 0; p < np; p++) {
      int[] votes = new int[classes];
      for (int j = 0; j < m; j++) {
        int v = patterns.vote(p, j);
        if (v >= 0) {
          if (v >= classes) {
            throw LabelFlightException.invalid("label " + v + " is outside the model's " + classes + " classes");
          }
          votes[v]++;
        }
      }
      int max = 0;
      for (int c = 0; c < classes; c++) {
        max = Math.max(max, votes[c]);
      }
      int ties = 0;
      for (int c = 0; c < classes; c++) {
        ties += votes[c] == max ? 1 : 0;
      }
      for (int c = 0; c < classes; c++) {
        q[p * classes + c] = votes[c] == max ? 1.0 / ties : 0.0;
      }
    }
    double[] pi = new double[classes];
    double[][] table = new double[m][classes * width];
    double[] logPi = new double[classes];
    double[][] logTable = new double[m][classes * width];
    double previous = Double.NEGATIVE_INFINITY;
    int epoch = 0;
    while (epoch < options.maxEpochs()) {
      epoch++;
      mStep(patterns, q, classes, fixed, pi, table);
      logs(pi, table, logPi, logTable);
      double logLikelihood = eStep(patterns, classes, logPi, logTable, q);
      double perRow = logLikelihood / Math.max(1, patterns.rows());
      if (Math.abs(perRow - previous) < options.tolerance()) {
        break;
      }
      previous = perRow;
    }
    mStep(patterns, q, classes, fixed, pi, table);
    return new GenerativeModel(classes, m, pi, table, epoch);
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

  private static void mStep(VotePatterns patterns, double[] q, int k, double[] fixed, double[] pi, double[][] table) {
    int m = patterns.lfs();
    int width = k + 1;
    double[] mass = new double[k];
    for (double[] t : table) {
      java.util.Arrays.fill(t, SMOOTHING);
    }
    for (int p = 0; p < patterns.size(); p++) {
      double w = patterns.count(p);
      for (int c = 0; c < k; c++) {
        double wq = w * q[p * k + c];
        mass[c] += wq;
        for (int j = 0; j < m; j++) {
          table[j][c * width + patterns.vote(p, j) + 1] += wq;
        }
      }
    }
    double total = 0;
    for (double x : mass) {
      total += x;
    }
    for (int c = 0; c < k; c++) {
      pi[c] = fixed != null ? fixed[c] : (mass[c] + SMOOTHING) / (total + k * SMOOTHING);
      double denominator = mass[c] + width * SMOOTHING;
      for (int j = 0; j < m; j++) {
        for (int v = 0; v < width; v++) {
          table[j][c * width + v] /= denominator;
        }
      }
    }
  }

  private static void logs(double[] pi, double[][] table, double[] logPi, double[][] logTable) {
    for (int c = 0; c < pi.length; c++) {
      logPi[c] = Math.log(pi[c]);
    }
    for (int j = 0; j < table.length; j++) {
      for (int i = 0; i < table[j].length; i++) {
        logTable[j][i] = Math.log(table[j][i]);
      }
    }
  }

  /** Posterior per pattern into {@code q}; returns the log-likelihood of all rows. */
  private static double eStep(VotePatterns patterns, int k, double[] logPi, double[][] logTable, double[] q) {
    int m = patterns.lfs();
    int width = k + 1;
    double[] score = new double[k];
    double logLikelihood = 0;
    for (int p = 0; p < patterns.size(); p++) {
      for (int c = 0; c < k; c++) {
        double s = logPi[c];
        for (int j = 0; j < m; j++) {
          s += logTable[j][c * width + patterns.vote(p, j) + 1];
        }
        score[c] = s;
      }
      double norm = logSumExp(score);
      for (int c = 0; c < k; c++) {
        q[p * k + c] = Math.exp(score[c] - norm);
      }
      logLikelihood += patterns.count(p) * norm;
    }
    return logLikelihood;
  }

  private static double logSumExp(double[] x) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : x) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (double v : x) {
      sum += Math.exp(v - max);
    }
    return max + Math.log(sum);
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
