package dev.labelflight.verticles.labelmodel;

import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmodel.GenerativeModel;
import dev.labelflight.engine.labelmodel.ModelKind;
import dev.labelflight.engine.labelmodel.TiePolicy;
import dev.labelflight.engine.store.DatasetNames;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * A {@code fit_label_model} request, checked once at the edge: {@code job}; {@code model} (a {@link ModelKind}
 * id or {@code auto}); {@code name} of the stored model (default: the dataset's name); {@code gold}, a
 * column (or {@code @dev}) whose rows with gold are the dev set that {@code auto} chooses by and every
 * candidate is scored on; {@code tiePolicy}, {@code seed}, {@code classBalance}, {@code epochs}; a partial fit's
 * {@code baseModel} (a stored model {@code NAME@vK} or {@code NAME}) and {@code partialFit}; and a row
 * selection ({@code rowRanges} / {@code selection}, read by {@link LabelMatrixReader}).
 */
record FitRequest(String job, ModelKind kind, boolean auto, String name, String gold, TiePolicy tiePolicy, Long seed,
    JsonArray classBalance, int epochs, String baseModel, GenerativeModel.PartialFit partialFit) {

  static final Set<String> FIELDS = Set.of("job", "model", "name", "gold", "tiePolicy", "seed", "classBalance",
      "epochs", "baseModel", "partialFit", "rowRanges", "selection");
  static final int MAX_EPOCHS = 10_000;

  static FitRequest parse(JsonObject body) {
    LabelModelRequests.checkFields(body, FIELDS, "fit_label_model");
    String job = LabelModelRequests.jobOf(body);
    Object model = body.getValue("model", "majority");
    if (!(model instanceof String kindText)) {
      throw LabelFlightException.invalid("'model' must be a model kind or \"auto\"")
          .withDetail(LabelFlightException.Detail.FIELD, "model");
    }
    boolean auto = kindText.equals("auto");
    ModelKind kind = auto ? null : ModelKind.parse(kindText);
    Object name = body.getValue("name");
    if (name != null && !(name instanceof String)) {
      throw LabelFlightException.invalid("'name' must be a model name").withDetail(LabelFlightException.Detail.FIELD, "name");
    }
    if (name != null) {
      DatasetNames.validate((String) name);
    }
    Object gold = body.getValue("gold");
    if (gold != null && !(gold instanceof String)) {
      throw LabelFlightException.invalid("'gold' must name a dataset column (or @dev)")
          .withDetail(LabelFlightException.Detail.FIELD, "gold");
    }
    TiePolicy tiePolicy = body.getValue("tiePolicy") == null ? TiePolicy.ABSTAIN
        : TiePolicy.parse(String.valueOf(body.getValue("tiePolicy")));
    Long seed = body.getValue("seed") == null ? null
        : LabelModelRequests.integer(body, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
    Object balance = body.getValue("classBalance");
    if (balance != null && !(balance instanceof JsonArray)) {
      throw LabelFlightException.invalid("'classBalance' must be a list of one probability per class")
          .withDetail(LabelFlightException.Detail.FIELD, "classBalance");
    }
    int epochs = body.getValue("epochs") == null ? GenerativeModel.Options.defaults().maxEpochs()
        : (int) LabelModelRequests.integer(body, "epochs", 1, MAX_EPOCHS);
    Object base = body.getValue("baseModel");
    Object partial = body.getValue("partialFit");
    if ((base == null) != (partial == null) || (base != null && !(base instanceof String))
        || (partial != null && !(partial instanceof String))) {
      throw LabelFlightException.invalid("a partial fit needs both 'baseModel' (a stored generative model, NAME or"
          + " NAME@vK) and 'partialFit' (\"rows\" or \"lfs\")");
    }
    GenerativeModel.PartialFit partialFit = partial == null ? null : GenerativeModel.PartialFit.parse((String) partial);
    if (partialFit != null && kind != ModelKind.GENERATIVE) {
      throw LabelFlightException.invalid("partial fits are for generative models");
    }
    return new FitRequest(LabelStore.validateJobId(job), kind, auto, (String) name, (String) gold, tiePolicy, seed,
        (JsonArray) balance, epochs, (String) base, partialFit);
  }

  /** The requested kind's id, or {@code auto}. */
  String kindText() {
    return auto ? "auto" : kind.id();
  }
}
