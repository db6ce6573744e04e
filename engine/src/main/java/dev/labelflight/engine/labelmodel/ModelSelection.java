package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code auto}: fits every candidate kind over the same passes and picks one. With a dev set (rows with
 * gold) the pick is the best dev accuracy (predictions with ties broken by the class prior), ties going to
 * the simpler kind ({@link ModelKind#candidates()} order), and every candidate's dev accuracy and log-loss
 * are reported side by side. Without gold the choice is unsupervised and says so: the generative model,
 * unless its diagnostics warn (low agreement with majority vote, or a degenerate class balance), then
 * majority vote. A kind that cannot be fitted at this size (too many LFs x classes for its memory bound)
 * is reported as skipped, with the reason.
 */
public final class ModelSelection {
  private ModelSelection() {}

  /** One candidate: its model and fit report (null if skipped), its dev scores (null without gold). */
  public record Candidate(ModelKind kind, LabelModel model, FitReport report, FitDiagnostics diagnostics,
      Double devAccuracy, Double devLogLoss, String skipped) {}

  /** The chosen kind, whether dev gold decided it, the rule in words, and all candidates. */
  public record Selection(ModelKind chosen, boolean supervised, int devRows, String rule, List<Candidate> candidates) {
    public Candidate chosenCandidate() {
      return candidates.stream().filter(c -> c.kind() == chosen).findFirst().orElseThrow();
    }
  }

  /** Scores fitted candidates on the dev rows of {@code dev} (rows with gold) and picks one. */
  public static Selection select(List<Candidate> fitted, RowSample dev) {
    int devRows = dev == null ? 0 : dev.withGold();
    List<Candidate> scored = new ArrayList<>();
    for (Candidate c : fitted) {
      if (c.model() == null || devRows == 0) {
        scored.add(c);
        continue;
      }
      double[] scores = devScores(c.model(), dev);
      scored.add(new Candidate(c.kind(), c.model(), c.report(), c.diagnostics(), scores[0], scores[1], null));
    }
    if (devRows > 0) {
      Candidate best = null;
      for (ModelKind kind : ModelKind.candidates()) {
        for (Candidate c : scored) {
          if (c.kind() == kind && c.devAccuracy() != null
              && (best == null || c.devAccuracy() > best.devAccuracy() + 1e-12)) {
            best = c;
          }
        }
      }
      if (best != null) {
        return new Selection(best.kind(), true, devRows, String.format(java.util.Locale.ROOT,
            "best accuracy on %d dev rows with gold (%.4f); ties go to the simpler model", devRows, best.devAccuracy()),
            scored);
      }
    }
    Candidate generative = scored.stream().filter(c -> c.kind() == ModelKind.GENERATIVE && c.model() != null)
        .findFirst().orElse(null);
    if (generative != null && (generative.diagnostics() == null || generative.diagnostics().warnings().isEmpty())) {
      return new Selection(ModelKind.GENERATIVE, false, 0, "unsupervised (no dev rows with gold): the generative"
          + " model, whose diagnostics raised no warning", scored);
    }
    return new Selection(ModelKind.MAJORITY, false, 0, "unsupervised (no dev rows with gold): majority vote, because "
        + (generative == null ? "the generative model could not be fitted" : "the generative model's diagnostics warn: "
        + String.join("; ", generative.diagnostics().warnings())), scored);
  }

  /** Accuracy (ties by class prior) and mean log-loss on the sample's gold rows. */
  static double[] devScores(LabelModel model, RowSample dev) {
    LabelChunk rows = dev.asChunk();
    int n = rows.rows();
    int k = model.classes();
    double[][] probs = new double[k][n];
    model.predictProba(rows, probs);
    short[] preds = new short[n];
    TiePolicy.PRIOR.with(null, model.classBalance()).predict(probs, n, 0, preds);
    double correct = 0;
    double logLoss = 0;
    double total = 0;
    for (int r = 0; r < n; r++) {
      int g = dev.gold(r);
      if (g < 0 || g >= k) {
        continue;
      }
      double w = dev.weight(r);
      total += w;
      if (preds[r] == g) {
        correct += w;
      }
      logLoss -= w * Math.log(Math.max(1e-15, probs[g][r]));
    }
    return new double[] {total > 0 ? correct / total : 0, total > 0 ? logLoss / total : 0};
  }




}
