package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.ArrayList;
import java.util.List;

/**
 * What a fitted model does on a sample of rows, so the user can see when to distrust it: its agreement
 * with majority vote on rows where majority vote has a strict winner, the share of each class among its
 * predictions on covered rows (rows some LF votes on), and warnings when the agreement is low (below
 * {@value #LOW_AGREEMENT}) or one class takes more than {@value #DEGENERATE_SHARE} of the predictions.
 */
public record FitDiagnostics(double agreementWithMajority, long rowsCompared, double[] predictedShares,
    List<String> warnings) {
  public static final double LOW_AGREEMENT = 0.7;
  public static final double DEGENERATE_SHARE = 0.95;

  public static FitDiagnostics of(LabelModel model, RowSample sample, List<String> classNames) {
    int k = model.classes();
    LabelChunk rows = sample.asChunk();
    int n = rows.rows();
    double[][] probs = new double[k][n];
    if (n > 0) {
      model.predictProba(rows, probs);
    }
    RowVotes rv = new RowVotes();
    rv.load(rows, k);
    int[] tally = new int[k];
    double agree = 0;
    double compared = 0;
    double[] shares = new double[k];
    double covered = 0;
    for (int r = 0; r < n; r++) {
      int from = rv.start[r];
      int to = rv.start[r + 1];
      if (from == to) {
        continue;
      }
      double w = sample.weight(r);
      int best = 0;
      for (int c = 1; c < k; c++) {
        if (probs[c][r] > probs[best][r]) {
          best = c;
        }
      }
      shares[best] += w;
      covered += w;
      int mv = rv.strictMajority(from, to, tally);
      if (mv >= 0) {
        compared += w;
        if (mv == best) {
          agree += w;
        }
      }
    }
    for (int c = 0; c < k; c++) {
      shares[c] = covered > 0 ? shares[c] / covered : 0;
    }
    double agreement = compared > 0 ? agree / compared : 1;
    List<String> warnings = new ArrayList<>();
    if (compared > 0 && agreement < LOW_AGREEMENT) {
      warnings.add(String.format(java.util.Locale.ROOT,
          "the %s model agrees with majority vote on only %.1f%% of the rows where majority vote has a clear winner;"
              + " compare both on labelled rows before trusting it", model.kind(), 100 * agreement));
    }
    for (int c = 0; c < k; c++) {
      if (covered > 0 && shares[c] > DEGENERATE_SHARE) {
        warnings.add(String.format(java.util.Locale.ROOT,
            "the %s model predicts class '%s' for %.1f%% of the covered rows; check the class balance and the LFs of the"
                + " other classes", model.kind(), c < classNames.size() ? classNames.get(c) : Integer.toString(c),
            100 * shares[c]));
      }
    }
    return new FitDiagnostics(agreement, Math.round(compared), shares, List.copyOf(warnings));
  }
}
