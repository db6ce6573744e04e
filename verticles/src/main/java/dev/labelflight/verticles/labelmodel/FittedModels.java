package dev.labelflight.verticles.labelmodel;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmodel.LabelModel;
import dev.labelflight.engine.labelmodel.TiePolicy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The label models fitted on this node, by model id; keeps the most recently used {@code max}. Thread-safe. */
public final class FittedModels {
  /** A fitted model with what it was fitted on. */
  public record Fitted(String id, String job, List<String> classes, List<String> lfs, LabelModel model,
      TiePolicy tiePolicy, Long seed, long rows) {}

  private final Map<String, Fitted> models;

  public FittedModels(int max) {
    this.models = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Fitted> eldest) {
        return size() > max;
      }
    };
  }

  public synchronized void put(Fitted fitted) {
    models.put(fitted.id(), fitted);
  }

  /** The model {@code id}, whatever its job (the base of a partial fit); NOT_FOUND otherwise. */
  public synchronized Fitted get(String id) {
    Fitted f = models.get(id);
    if (f == null) {
      throw LabelFlightException.notFound("label model '" + id + "' not found (a node keeps only its most recent models)");
    }
    return f;
  }

  /** The model {@code id} fitted on {@code job}; NOT_FOUND otherwise. */
  public synchronized Fitted get(String job, String id) {
    Fitted f = models.get(id);
    if (f == null || !f.job().equals(job)) {
      throw LabelFlightException.notFound("label model '" + id + "' of job '" + job + "' not found (fit it with fit_label_model;"
          + " a node keeps only its most recent models)");
    }
    return f;
  }
}
