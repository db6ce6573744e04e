package dev.labelflight.engine.labelmodel;

import java.util.List;

/**
 * How a fit went, for the user to judge it: the optimizer's iterations (EM epochs or gradient steps), the
 * loss after each ({@code lossName} says which: the negative log-likelihood per row for EM models, the
 * matrix-completion objective for Snorkel's model), whether it met its stopping rule before the iteration
 * cap ({@code converged}), and the passes over the label matrix it read.
 */
public record FitReport(ModelKind kind, int iterations, boolean converged, String lossName, List<Double> loss,
    int passes, String note) {

  /** For models fitted in closed form or with no parameters. */
  public static FitReport closedForm(ModelKind kind, int passes, String note) {
    return new FitReport(kind, 0, true, "none", List.of(), passes, note);
  }
}
