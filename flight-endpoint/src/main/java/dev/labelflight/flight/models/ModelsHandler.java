package dev.labelflight.flight.models;

import dev.labelflight.flight.call.ActionSpec;
import dev.labelflight.flight.call.Bodies;
import dev.labelflight.flight.call.BusCalls;
import dev.labelflight.flight.call.Call;
import dev.labelflight.flight.call.Home;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * LF analysis and label-model fits over the event bus to the label-model verticle, on the job's node. A
 * fitted model's outputs stream as {@code probs/JOB/MODEL} and {@code preds/JOB/MODEL} (see the results
 * package).
 */
public final class ModelsHandler {
  private final BusCalls bus;

  public ModelsHandler(BusCalls bus) {
    this.bus = bus;
  }

  public List<ActionSpec> actions() {
    return List.of(
        new ActionSpec("analysis", "LF analysis (Snorkel definitions) once the job ended: {job, gold?} -> {lfs, totals, rows}",
            Home.JOB, false, this::analysis),
        new ActionSpec("fit_label_model", "Fit a label model on a finished job and store it as NAME@vK: {job, model:"
            + " auto|majority|weighted-majority|dawid-skene|generative|snorkel|triplet, name?, gold?, tiePolicy?, seed?,"
            + " classBalance?, epochs?} -> {model, name, version, kind, classes, weights, fit, diagnostics, selection?}",
            Home.JOB, false, this::fit),
        new ActionSpec("models", "The caller's stored label models: {} -> {models: [{name, versions, kind, classes}]}",
            Home.HERE, false, (call, body) -> json(bus.await(call.api().models(), "the stored label models"))),
        new ActionSpec("model", "A stored label model with its exportable document: {model: NAME or NAME@vK} ->"
            + " {..., document}", Home.HERE, false, (call, body) -> {
              String model = Bodies.fieldOf(body, "model");
              return json(bus.await(call.api().model(model), "label model '" + model + "'"));
            }),
        new ActionSpec("delete_model", "Delete a stored label model: {model: NAME (every version) or NAME@vK} ->"
            + " {name, versions}", Home.HERE, false, (call, body) -> {
              String model = Bodies.fieldOf(body, "model");
              return json(bus.await(call.api().deleteModel(model), "deleting label model '" + model + "'"));
            }),
        new ActionSpec("import_model", "Store an exported label model document: {name?, document} -> {model, name,"
            + " version, ...}", Home.HERE, false,
            (call, body) -> json(bus.await(call.api().importModel(Bodies.jsonObject(body)), "importing a label model"))));
  }

  private byte[] analysis(Call call, String body) throws Exception {
    JsonObject request = Bodies.jsonObject(body);
    return json(bus.await(call.api().analysis(request), "the analysis of job '" + request.getValue("job") + "'"));
  }

  private byte[] fit(Call call, String body) throws Exception {
    JsonObject request = Bodies.jsonObject(body);
    return json(bus.await(call.api().fitLabelModel(request),
        "the label model fit on job '" + request.getValue("job") + "'"));
  }

  private static byte[] json(JsonObject reply) {
    return reply.encode().getBytes(StandardCharsets.UTF_8);
  }
}
