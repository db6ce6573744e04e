package dev.labelflight.engine.labelmodel.artifact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmodel.LabelModel;
import dev.labelflight.engine.labelmodel.LabelModels;
import dev.labelflight.engine.labelmodel.TiePolicy;
import java.util.ArrayList;
import java.util.List;

/**
 * One stored version of a user's label model: the document written by {@link ModelStore} (format
 * {@value #FORMAT}): {@code name}, {@code version}, {@code kind}, {@code classes} (the label space),
 * {@code lfs} (name and spec hash of each LF, in the model's column order), {@code training} (dataset,
 * version, job, rows), {@code settings} (tie policy, seed, class balance, epochs...), {@code metrics}
 * (fit report, diagnostics, auto-selection candidates), {@code params} (the model's own JSON) and
 * {@code createdAt}. The same document, without its local metadata, is what export writes and import reads.
 */
public record ModelArtifact(String name, int version, ObjectNode document) {
  public static final String FORMAT = "labelflight.labelmodel/1";

  /** An LF the model was fitted with: its name and spec hash. */
  public record Lf(String name, String fingerprint) {}

  public String kind() {
    return document.path("kind").asText();
  }

  public List<String> classes() {
    List<String> out = new ArrayList<>();
    document.path("classes").forEach(c -> out.add(c.asText()));
    return out;
  }

  public List<Lf> lfs() {
    List<Lf> out = new ArrayList<>();
    document.path("lfs").forEach(l -> out.add(new Lf(l.path("name").asText(), l.path("fingerprint").asText())));
    return out;
  }

  public LabelModel model() {
    return LabelModels.fromJson(document.path("params"));
  }

  public TiePolicy.Breaker tieBreaker() {
    JsonNode settings = document.path("settings");
    TiePolicy policy = TiePolicy.parse(settings.path("tiePolicy").asText("abstain"));
    Long seed = settings.hasNonNull("seed") ? settings.get("seed").asLong() : null;
    return policy.with(seed, model().classBalance());
  }

  /** {@code name} (user-facing) with its version: {@code spam@v3}. */
  public String label() {
    return name + "@v" + version;
  }

  /**
   * Where each of the model's LFs is among a job's LF columns, matched by name and spec hash; a missing or
   * changed LF, or another label space, is INVALID_ARGUMENT naming it.
   */
  public int[] columnsIn(List<String> jobLfs, List<String> jobFingerprints, List<String> jobClasses) {
    if (!classes().equals(jobClasses)) {
      throw LabelFlightException.invalid("label model " + label() + " has classes " + classes() + ", the job has "
          + jobClasses + "; predict needs the same label space in the same order");
    }
    List<Lf> lfs = lfs();
    int[] columns = new int[lfs.size()];
    for (int j = 0; j < lfs.size(); j++) {
      Lf lf = lfs.get(j);
      int at = jobLfs.indexOf(lf.name());
      if (at < 0) {
        throw LabelFlightException.invalid("label model " + label() + " needs LF '" + lf.name()
            + "', which the job does not have").withDetail(LabelFlightException.Detail.LF, lf.name());
      }
      if (!jobFingerprints.get(at).equals(lf.fingerprint())) {
        throw LabelFlightException.invalid("LF '" + lf.name() + "' changed since label model " + label()
            + " was fitted (its spec hash differs); fit the model again or apply the LF as it was")
            .withDetail(LabelFlightException.Detail.LF, lf.name());
      }
      columns[j] = at;
    }
    return columns;
  }
}
