package dev.labelflight.verticles.labelmodel;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmodel.LabelModel;
import dev.labelflight.engine.labelmodel.MultiLabelModel;
import dev.labelflight.engine.labelmodel.artifact.ModelArtifact;
import dev.labelflight.engine.labelmodel.artifact.ModelStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Stored label models as replies: a model is named {@code NAME@vK} (a version) or {@code NAME} (its newest
 * version); {@link #describe} gives what {@code fit_label_model} answers and the model lookups return.
 */
final class ModelDescriptions {
  private ModelDescriptions() {}

  /** The caller's model {@code NAME@vK} or {@code NAME} (newest); NOT_FOUND alike for missing and not theirs. */
  static ModelArtifact load(ModelStore store, String user, String id) {
    if (id == null || id.isEmpty()) {
      throw LabelFlightException.invalid("missing model name").withDetail(LabelFlightException.Detail.FIELD, "model");
    }
    int at = id.lastIndexOf("@v");
    if (at > 0) {
      String version = id.substring(at + 2);
      if (!version.matches("\\d{1,9}")) {
        throw LabelFlightException.invalid("model '" + id + "': a version is NAME@vK with K a number");
      }
      return store.load(user, id.substring(0, at), Integer.parseInt(version));
    }
    return store.load(user, id, null);
  }

  static JsonObject describe(ModelArtifact a) {
    JsonObject doc = new JsonObject(a.document().toString());
    LabelModel model = a.model();
    JsonObject json = new JsonObject()
        .put("model", a.label())
        .put("name", a.name())
        .put("version", a.version())
        .put("kind", a.kind())
        .put("requested", doc.getString("requested"))
        .put("job", doc.getJsonObject("training").getString("job"))
        .put("training", doc.getJsonObject("training"))
        .put("classes", new JsonArray(a.classes()))
        .put("lfs", new JsonArray(a.lfs().stream().map(ModelArtifact.Lf::name).toList()))
        .put("classBalance", LabelModelRequests.array(model.classBalance()))
        .put("weights", LabelModelRequests.array(model.weights()))
        .put("tiePolicy", doc.getJsonObject("settings").getString("tiePolicy"))
        .put("rows", doc.getJsonObject("training").getLong("rows"))
        .put("createdAt", doc.getString("createdAt"));
    Object seed = doc.getJsonObject("settings").getValue("seed");
    if (seed != null) {
      json.put("seed", seed);
    }
    JsonObject metrics = doc.getJsonObject("metrics", new JsonObject());
    metrics.forEach(e -> json.put(e.getKey(), e.getValue()));
    JsonObject fit = metrics.getJsonObject("fit");
    if (fit != null && fit.getInteger("iterations", 0) > 0) {
      json.put("epochs", fit.getInteger("iterations"));
    }
    JsonObject diagnostics = metrics.getJsonObject("diagnostics");
    json.put("warnings", diagnostics == null ? new JsonArray() : diagnostics.getJsonArray("warnings", new JsonArray()));
    if (model instanceof MultiLabelModel m) {
      json.put("multiLabel", true);
      JsonArray classOf = new JsonArray();
      for (int c : m.lfClasses().toArray()) {
        classOf.add(c);
      }
      json.put("lfClasses", classOf);
    }
    return json;
  }
}
