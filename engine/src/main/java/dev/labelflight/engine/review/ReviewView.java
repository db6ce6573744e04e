package dev.labelflight.engine.review;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.Arrays;

/** Which rows an error-analysis page lists. */
public enum ReviewView {
  /** Rows where the chosen LF votes and its vote differs from the gold label. */
  LF_WRONG("lf-wrong", true, false),
  /** Rows with a gold label where the label model predicts another class (or abstains on a tie). */
  MODEL_WRONG("model-wrong", true, true),
  /** Rows no LF votes on. */
  UNCOVERED("uncovered", false, false),
  /** Rows where LFs vote for two or more classes. */
  CONFLICTS("conflicts", false, false);

  private final String id;
  private final boolean needsGold;
  private final boolean needsModel;

  ReviewView(String id, boolean needsGold, boolean needsModel) {
    this.id = id;
    this.needsGold = needsGold;
    this.needsModel = needsModel;
  }

  public String id() {
    return id;
  }

  public boolean needsGold() {
    return needsGold;
  }

  public boolean needsModel() {
    return needsModel;
  }

  public static ReviewView parse(String id) {
    for (ReviewView v : values()) {
      if (v.id.equals(id)) {
        return v;
      }
    }
    throw LabelFlightException.invalid("'view' must be one of "
        + Arrays.stream(values()).map(ReviewView::id).toList() + ", got '" + id + "'");
  }
}
