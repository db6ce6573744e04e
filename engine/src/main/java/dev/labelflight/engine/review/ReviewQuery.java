package dev.labelflight.engine.review;

import dev.labelflight.engine.error.LabelFlightException;

/**
 * A page of an error-analysis view: the view, optional filters (an LF by position, a class by index, -1
 * for any; a range of model confidence, the top class probability, when a model is given) and the page.
 */
public record ReviewQuery(ReviewView view, int lf, int cls, double minConfidence, double maxConfidence, long offset,
    int limit) {
  /** Most rows one page may ask for. */
  public static final int MAX_LIMIT = 100;

  public ReviewQuery {
    if (view == ReviewView.LF_WRONG && lf < 0) {
      throw LabelFlightException.invalid("view 'lf-wrong' needs 'lf' (the LF to check)");
    }
    if (offset < 0) {
      throw LabelFlightException.invalid("'offset' must be >= 0, got " + offset);
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw LabelFlightException.invalid("'limit' must be between 1 and " + MAX_LIMIT + ", got " + limit);
    }
    if (!(minConfidence >= 0 && maxConfidence <= 1 && minConfidence <= maxConfidence)) {
      throw LabelFlightException.invalid("'minConfidence' and 'maxConfidence' must satisfy 0 <= min <= max <= 1");
    }
  }

  /** Whether a confidence range narrower than [0, 1] was asked for. */
  public boolean filtersConfidence() {
    return minConfidence > 0 || maxConfidence < 1;
  }
}
