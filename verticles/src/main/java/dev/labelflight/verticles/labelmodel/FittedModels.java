package dev.labelflight.verticles.labelmodel;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmodel.LabelModel;
import dev.labelflight.engine.labelmodel.TiePolicy;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The label models fitted on this node, by owner and model id; keeps each owner's most recently used
 * {@code max}, so one user's fits never evict another's. A model is found only by its owner: to anyone
 * else it does not exist (NOT_FOUND worded as for an unknown id). Thread-safe.
 */
public final class FittedModels {
  /** A fitted model with what it was fitted on; {@code owner} is the user who fitted it (null without authentication). */
  public record Fitted(String id, String owner, String job, List<String> classes, List<String> lfs, LabelModel model,
      TiePolicy tiePolicy, Long seed, long rows) {}

  private final int max;
  /** Owner (the empty string for none) to that owner's models, least recently used first. */
  private final Map<String, LinkedHashMap<String, Fitted>> byOwner = new HashMap<>();

  public FittedModels(int max) {
    this.max = max;
  }

  public synchronized void put(Fitted fitted) {
    LinkedHashMap<String, Fitted> models = byOwner.computeIfAbsent(key(fitted.owner()), k -> new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Fitted> eldest) {
        return size() > max;
      }
    });
    models.put(fitted.id(), fitted);
  }

  /** {@code owner}'s model {@code id} (any owner's for {@code null}), whatever its job (the base of a partial fit); NOT_FOUND otherwise. */
  public synchronized Fitted get(String owner, String id) {
    Fitted f = find(owner, id);
    if (f == null) {
      throw LabelFlightException.notFound("label model '" + id + "' not found (a node keeps only its most recent models)");
    }
    return f;
  }

  /** {@code owner}'s model {@code id} fitted on {@code job}; NOT_FOUND otherwise. */
  public synchronized Fitted get(String owner, String job, String id) {
    Fitted f = find(owner, id);
    if (f == null || !f.job().equals(job)) {
      throw LabelFlightException.notFound("label model '" + id + "' of job '" + job + "' not found (fit it with fit_label_model;"
          + " a node keeps only its most recent models)");
    }
    return f;
  }

  /** {@code owner} null: a request from inside the node, which sees every model (as it sees every job). */
  private Fitted find(String owner, String id) {
    if (owner == null) {
      for (Map<String, Fitted> models : byOwner.values()) {
        if (models.containsKey(id)) {
          return models.get(id);
        }
      }
      return null;
    }
    Map<String, Fitted> models = byOwner.get(owner);
    return models == null ? null : models.get(id);
  }

  private static String key(String owner) {
    return owner == null ? "" : owner;
  }
}
