package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.Arrays;
import java.util.List;

/**
 * The label models LabelFlight fits. Each learned kind exports the same {@link LogLinearModel} form
 * (what predicts, on the server and offline in the Python client); majority vote is Snorkel's voter.
 */
public enum ModelKind {
  /** Snorkel's {@code MajorityLabelVoter}: no parameters. */
  MAJORITY("majority"),
  /** Votes weighted by each LF's estimated accuracy (its agreement with the other LFs' majority). */
  WEIGHTED_MAJORITY("weighted-majority"),
  /** Dawid-Skene: EM over a full confusion matrix per LF (k x k plus abstain). */
  DAWID_SKENE("dawid-skene"),
  /** LabelFlight's generative model: EM with per-LF, per-class right/abstain/wrong rates (O(LFs x classes)). */
  GENERATIVE("generative"),
  /** Snorkel's {@code LabelModel}: matrix completion of the LF overlap matrix O = mu P mu^T. */
  SNORKEL("snorkel"),
  /** FlyingSquid-style triplets: closed-form LF accuracies from agreement rates of LF triples. */
  TRIPLET("triplet");

  private final String id;

  ModelKind(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  /** The kinds {@code "auto"} chooses among, in the order ties are broken (simpler first). */
  public static List<ModelKind> candidates() {
    return List.of(MAJORITY, WEIGHTED_MAJORITY, TRIPLET, GENERATIVE, DAWID_SKENE, SNORKEL);
  }

  public static ModelKind parse(String text) {
    for (ModelKind k : values()) {
      if (k.id.equals(text)) {
        return k;
      }
    }
    throw LabelFlightException.invalid("'model' must be one of auto, " + String.join(", ",
        Arrays.stream(values()).map(ModelKind::id).toList()) + ", not '" + text + "'")
        .withDetail(LabelFlightException.Detail.FIELD, "model");
  }

  @Override
  public String toString() {
    return id;
  }
}
