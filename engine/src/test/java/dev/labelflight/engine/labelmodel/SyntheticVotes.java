package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A label matrix with known truth, generated with a fixed seed: rows of class c with prior {@code prior[c]};
 * LF j votes on a row with its propensity and, when it votes, is right with its accuracy (else a uniformly
 * chosen wrong class). An LF with {@code copyOf[j] >= 0} copies that LF's vote (when the other votes) with
 * probability {@code copyRate} instead: correlated LFs, as users write them.
 */
final class SyntheticVotes {
  final int rows;
  final int classes;
  final double[] accuracy;
  final double[] propensity;
  final short[][] labels;
  final int[] truth;

  SyntheticVotes(int rows, int classes, double[] prior, double[] accuracy, double[] propensity, int[] copyOf,
      double copyRate, long seed) {
    this.rows = rows;
    this.classes = classes;
    this.accuracy = accuracy;
    this.propensity = propensity;
    int m = accuracy.length;
    SplittableRandom random = new SplittableRandom(seed);
    labels = new short[m][rows];
    truth = new int[rows];
    for (int r = 0; r < rows; r++) {
      double u = random.nextDouble();
      int y = 0;
      while (y < classes - 1 && u >= prior[y]) {
        u -= prior[y];
        y++;
      }
      truth[r] = y;
      for (int j = 0; j < m; j++) {
        short vote = -1;
        if (copyOf != null && copyOf[j] >= 0 && labels[copyOf[j]][r] >= 0 && random.nextDouble() < copyRate) {
          vote = labels[copyOf[j]][r];
        } else if (random.nextDouble() < propensity[j]) {
          vote = (short) (random.nextDouble() < accuracy[j] ? y : (y + 1 + random.nextInt(classes - 1)) % classes);
        }
        labels[j][r] = vote;
      }
    }
  }

  static double[] uniform(int k) {
    double[] p = new double[k];
    java.util.Arrays.fill(p, 1.0 / k);
    return p;
  }

  /** The matrix in chunks of {@code chunkRows}, row ids consecutive from 0. */
  List<LabelChunk> chunks(int chunkRows) {
    List<LabelChunk> out = new ArrayList<>();
    for (int from = 0; from < rows; from += chunkRows) {
      int n = Math.min(chunkRows, rows - from);
      short[][] part = new short[labels.length][];
      for (int j = 0; j < labels.length; j++) {
        part[j] = java.util.Arrays.copyOfRange(labels[j], from, from + n);
      }
      out.add(new LabelChunk(from, n, part));
    }
    return out;
  }

  int[] truthOf(LabelChunk chunk) {
    return java.util.Arrays.copyOfRange(truth, (int) chunk.firstRow(), (int) chunk.firstRow() + chunk.rows());
  }

  FitSettings.Passes passes(int chunkRows) {
    List<LabelChunk> chunks = chunks(chunkRows);
    return consumer -> chunks.forEach(c -> consumer.accept(c, null));
  }

  /** Accuracy of the model's predictions (ties by prior) against the truth, over rows some LF votes on. */
  double coveredAccuracy(LabelModel model) {
    double[][] probs = new double[classes][rows];
    LabelChunk all = new LabelChunk(0, rows, labels);
    model.predictProba(all, probs);
    short[] preds = new short[rows];
    TiePolicy.PRIOR.with(null, model.classBalance()).predict(probs, rows, 0, preds);
    long correct = 0;
    long covered = 0;
    for (int r = 0; r < rows; r++) {
      boolean votes = false;
      for (short[] column : labels) {
        votes |= column[r] >= 0;
      }
      if (votes) {
        covered++;
        if (preds[r] == truth[r]) {
          correct++;
        }
      }
    }
    return (double) correct / covered;
  }
}
