package dev.labelflight.verticles.labelmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.analysis.GoldColumn;
import dev.labelflight.engine.analysis.LfAnalysis;
import dev.labelflight.engine.analysis.MultiLabelAnalysis;
import dev.labelflight.engine.analysis.MultiLabelGold;
import dev.labelflight.engine.devset.DevGold;
import dev.labelflight.engine.devset.DevSetStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.RowSelection;
import dev.labelflight.engine.labelmodel.LabelModel;
import dev.labelflight.engine.labelmodel.LabelModels;
import dev.labelflight.engine.labelmodel.artifact.ModelArtifact;
import dev.labelflight.engine.labelmodel.artifact.ModelStore;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.bus.Caller;
import dev.labelflight.verticles.bus.LabelFlightApi;
import dev.labelflight.verticles.labels.JobLabelChunks;
import dev.labelflight.verticles.node.NodeResources;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * A worker verticle (deploy with {@code ThreadingModel.WORKER}) serving LF analysis ({@link Addresses#ANALYSIS})
 * and label models: fits ({@link Addresses#FIT_LABEL_MODEL}, {@link ModelFits}), which store each model as a
 * versioned artifact of its user ({@link ModelStore}: it survives restarts, no cache across users), the
 * lookup that predictions on any job use ({@link Addresses#LABEL_MODEL}: the model plus where its LFs are
 * among the job's columns), and the user's models: list, fetch (the document export writes), delete, import.
 * Analysis and fits wait for the job to end, then read the label chunks (and gold) chunk by chunk under
 * the node's memory budget ({@link LabelMatrixReader}); both take a row selection ({@code rowRanges} or
 * {@code selection}); analysis also takes {@code "gold": "@dev"}, the dataset version's hand-labelled dev set
 * ({@link DevSetStore}), over exactly its rows. Config: {@code maxPatternBytes} (cap of the vote-pattern table that lets EM passes run
 * in memory; past it each pass reads the label chunks again).
 */
public final class LabelModelVerticle extends VerticleBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The {@code gold} value that names the dataset version's hand-labelled dev set. */
  static final String DEV_GOLD = "@dev";
  private static final Set<String> ANALYSIS_FIELDS = Set.of("job", "gold", "rowRanges", "selection");

  private final NodeResources node;
  private final long callTimeoutMs;
  private LabelFlightApi api;
  private LabelMatrixReader reader;
  private ModelStore store;
  private ModelFits fits;

  public LabelModelVerticle(NodeResources node, long callTimeoutMs) {
    this.node = node;
    this.callTimeoutMs = callTimeoutMs;
  }

  @Override
  public Future<?> start() {
    api = new LabelFlightApi(vertx, callTimeoutMs);
    reader = new LabelMatrixReader(node, new JobLabelChunks(node.labels()));
    store = new ModelStore(node.dataDir());
    fits = new ModelFits(reader, store, new DevSetStore(node.dataDir()),
        config().getLong("maxPatternBytes", 64L << 20));
    var bus = vertx.eventBus();
    return Future.all(java.util.List.of(
        bus.<JsonObject>localConsumer(Addresses.ANALYSIS, m -> serveJob(m, this::analysis)).completion(),
        bus.<JsonObject>localConsumer(Addresses.FIT_LABEL_MODEL, m -> serveJob(m, this::fit)).completion(),
        bus.<JsonObject>localConsumer(Addresses.LABEL_MODEL, m -> serveJob(m, this::lookup)).completion(),
        bus.<JsonObject>localConsumer(Addresses.MODELS, m -> serveUser(m, this::list)).completion(),
        bus.<JsonObject>localConsumer(Addresses.MODEL, m -> serveUser(m, this::document)).completion(),
        bus.<JsonObject>localConsumer(Addresses.DELETE_MODEL, m -> serveUser(m, this::delete)).completion(),
        bus.<JsonObject>localConsumer(Addresses.IMPORT_MODEL, m -> serveUser(m, this::importModel)).completion()));
  }

  /** Runs {@code handler} once the caller is known to own the job (a user's request for another's job: NOT_FOUND). */
  private void serveJob(Message<JsonObject> message, BiFunction<JsonObject, String, Future<JsonObject>> handler) {
    Future<JsonObject> reply;
    try {
      String caller = Caller.of(message);
      String job = LabelModelRequests.jobOf(message.body());
      reply = api.forUser(caller).status(job).compose(owned -> handler.apply(message.body(), caller));
    } catch (RuntimeException e) {
      reply = Future.failedFuture(e);
    }
    reply.onSuccess(message::reply).onFailure(e -> BusErrors.fail(message, e));
  }

  /** Runs {@code handler} for the caller's own models, on this worker (the store reads disk). */
  private void serveUser(Message<JsonObject> message, BiFunction<JsonObject, String, JsonObject> handler) {
    try {
      JsonObject body = message.body() == null ? new JsonObject() : message.body();
      message.reply(handler.apply(body, Caller.of(message)));
    } catch (RuntimeException e) {
      BusErrors.fail(message, e);
    }
  }

  private JobFacts facts(String job, JsonObject status) {
    return JobFacts.of(job, status, node.labels().job(job));
  }

  // ---- analysis ---------------------------------------------------------------------------------

  private Future<JsonObject> analysis(JsonObject body, String caller) {
    LabelModelRequests.checkFields(body, ANALYSIS_FIELDS, "analysis");
    String job = LabelModelRequests.jobOf(body);
    Object goldField = body.getValue("gold");
    if (goldField != null && !(goldField instanceof String)) {
      throw LabelFlightException.invalid("'gold' must be the name of a dataset column");
    }
    String goldName = (String) goldField;
    return api.status(job).compose(status -> {
      // Checked before waiting, so a bad gold column fails at once (reads a manifest: this is a worker).
      JobFacts facts = facts(job, status);
      Manifest manifest = node.datasets().manifest(facts.datasetKey(), facts.version());
      RowSelection rows = reader.rowSelection(body, facts.rowsTotal(), job);
      if (facts.multiLabel() && DEV_GOLD.equals(goldName)) {
        throw LabelFlightException.invalid("'gold': \"@dev\" is for single-label jobs");
      }
      if (facts.multiLabel()) {
        MultiLabelGold gold = goldName == null ? null : new MultiLabelGold(goldName, facts.classes(), manifest.arrowSchema());
        return JobLabelChunks.awaitFinished(api, job).compose(progress -> vertx.executeBlocking(() -> {
          MultiLabelAnalysis analysis = new MultiLabelAnalysis(facts.lfs(), facts.classes(), facts.lfClasses(), gold != null);
          reader.readAll(job, manifest, progress, rows, gold == null ? null : gold::read, analysis::add);
          return new JsonObject(JSON.writeValueAsString(analysis.toJson())).put("job", job);
        }, false));
      }
      LabelMatrixReader.GoldReader<short[]> gold;
      RowSelection selected = rows;
      if (DEV_GOLD.equals(goldName)) {
        // The hand-labelled dev set: exactly its rows, with their labels as gold.
        if (rows != null) {
          throw LabelFlightException.invalid("'gold': \"@dev\" analyses the dev set's rows; give no 'rowRanges' or 'selection'");
        }
        DevGold dev = fits.devGold(facts, manifest);
        selected = dev;
        gold = (data, firstRow) -> dev.read(firstRow, data.getRowCount());
      } else {
        GoldColumn column = goldName == null ? null : new GoldColumn(goldName, facts.classes(), manifest.arrowSchema());
        gold = column == null ? null : column::read;
      }
      RowSelection analysed = selected;
      return JobLabelChunks.awaitFinished(api, job).compose(progress -> vertx.executeBlocking(() -> {
        LfAnalysis analysis = new LfAnalysis(facts.lfs(), facts.classes().size(), gold != null);
        LabelMatrixReader.ChunkConsumer<short[]> add = analysis::add;
        reader.readAll(job, manifest, progress, analysed, gold, add);
        return new JsonObject(JSON.writeValueAsString(analysis.summary().toJson())).put("job", job);
      }, false));
    });
  }

  // ---- fit --------------------------------------------------------------------------------------

  private Future<JsonObject> fit(JsonObject body, String caller) {
    FitRequest request = FitRequest.parse(body);
    return api.status(request.job()).compose(status -> {
      JobFacts facts = facts(request.job(), status);
      Manifest manifest = node.datasets().manifest(facts.datasetKey(), facts.version());
      RowSelection selection = reader.rowSelection(body, facts.rowsTotal(), request.job());
      if (request.gold() != null && !facts.multiLabel()) {
        fits.goldReader(request.gold(), facts, manifest); // a bad gold column or an empty dev set fails now
      }
      return JobLabelChunks.awaitFinished(api, request.job()).compose(progress -> vertx.executeBlocking(
          () -> fits.fit(request, facts, manifest, progress, selection, caller).reply(), false));
    });
  }

  // ---- stored models ----------------------------------------------------------------------------

  /**
   * {@code {"job", "model"}}: the caller's stored model {@code NAME@vK} (or {@code NAME}, newest) ready to
   * predict on this job: its description, {@code params}, and {@code columns}, the job column of each of the
   * model's LFs (matched by name and spec hash; a missing or changed LF is INVALID_ARGUMENT naming it).
   */
  private Future<JsonObject> lookup(JsonObject body, String caller) {
    String job = LabelModelRequests.jobOf(body);
    Object id = body.getValue("model");
    return api.status(job).compose(status -> vertx.executeBlocking(() -> {
      ModelArtifact artifact = ModelDescriptions.load(store, caller, id instanceof String s ? s : null);
      JobFacts facts = facts(job, status);
      int[] columns = artifact.columnsIn(facts.lfs(), facts.fingerprints(), facts.classes());
      JsonArray cols = new JsonArray();
      for (int c : columns) {
        cols.add(c);
      }
      return ModelDescriptions.describe(artifact).put("columns", cols)
          .put("params", new JsonObject(artifact.document().get("params").toString()));
    }, false));
  }

  private JsonObject list(JsonObject body, String caller) {
    JsonArray models = new JsonArray();
    for (ModelStore.Listed l : store.list(caller)) {
      models.add(new JsonObject().put("name", l.name()).put("versions", new JsonArray(l.versions()))
          .put("kind", l.kind()).put("classes", new JsonArray(l.classes())).put("createdAt", l.createdAt()));
    }
    return new JsonObject().put("models", models);
  }

  /** {@code {"model": NAME or NAME@vK}} -> the description and the whole stored document (what export writes). */
  private JsonObject document(JsonObject body, String caller) {
    ModelArtifact artifact = ModelDescriptions.load(store, caller, body.getValue("model") instanceof String s ? s : null);
    return ModelDescriptions.describe(artifact).put("document", new JsonObject(artifact.document().toString()));
  }

  /** {@code {"model": NAME or NAME@vK}} -> the versions deleted. */
  private JsonObject delete(JsonObject body, String caller) {
    String id = body.getValue("model") instanceof String s ? s : null;
    ModelArtifact artifact = ModelDescriptions.load(store, caller, id);
    Integer version = id.contains("@v") ? artifact.version() : null;
    return new JsonObject().put("name", artifact.name())
        .put("versions", new JsonArray(store.delete(caller, artifact.name(), version)));
  }

  /**
   * {@code {"name"?, "document"}}: stores an exported document as the next version of the caller's model
   * ({@code name}, else the document's own name). The document is checked: its parameters must rebuild a
   * model whose LFs and classes match its lists.
   */
  private JsonObject importModel(JsonObject body, String caller) {
    Object doc = body.getValue("document");
    if (!(doc instanceof JsonObject document)) {
      throw LabelFlightException.invalid("'document' must be an exported label model (a JSON object)")
          .withDetail(LabelFlightException.Detail.FIELD, "document");
    }
    String name = body.getValue("name") instanceof String s ? s : document.getString("name");
    if (name == null) {
      throw LabelFlightException.invalid("give 'name' (the document has none)");
    }
    try {
      JsonNode tree = JSON.readTree(document.encode());
      if (!(tree instanceof ObjectNode object) || !(object.get("classes") instanceof com.fasterxml.jackson.databind.node.ArrayNode classes)
          || !(object.get("lfs") instanceof com.fasterxml.jackson.databind.node.ArrayNode lfs)
          || !object.path("training").isObject() || !object.path("settings").isObject()) {
        throw LabelFlightException.invalid("'document' is not an exported label model: it needs classes, lfs,"
            + " training, settings and params");
      }
      LabelModel model = LabelModels.fromJson(object.path("params"));
      if (model.lfs() != lfs.size() || model.classes() != classes.size()) {
        throw LabelFlightException.invalid("'document' is inconsistent: its parameters are for " + model.lfs() + " LFs and "
            + model.classes() + " classes, its lists name " + lfs.size() + " and " + classes.size());
      }
      for (JsonNode lf : lfs) {
        if (!lf.path("name").isTextual() || !lf.path("fingerprint").isTextual()) {
          throw LabelFlightException.invalid("'document' lfs entries need a name and a fingerprint");
        }
      }
      object.remove(java.util.List.of("format", "name", "version", "createdAt"));
      if (!object.path("metrics").isObject()) {
        object.putObject("metrics");
      }
      return ModelDescriptions.describe(store.save(caller, name, object));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw LabelFlightException.invalid("'document' is not valid JSON: " + e.getOriginalMessage());
    }
  }
}
