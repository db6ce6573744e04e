package dev.labelflight.verticles.labelmodel;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.analysis.GoldColumn;
import dev.labelflight.engine.analysis.LfAnalysis;
import dev.labelflight.engine.analysis.MultiLabelAnalysis;
import dev.labelflight.engine.analysis.MultiLabelGold;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.devset.DevGold;
import dev.labelflight.engine.devset.DevSetStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.labelmatrix.LfClasses;
import dev.labelflight.engine.labelmatrix.RowBitmap;
import dev.labelflight.engine.labelmatrix.RowRanges;
import dev.labelflight.engine.labelmatrix.RowSelection;
import dev.labelflight.engine.labelmodel.GenerativeModel;
import dev.labelflight.engine.labelmodel.LabelModel;
import dev.labelflight.engine.labelmodel.MajorityVote;
import dev.labelflight.engine.labelmodel.MultiLabelModel;
import dev.labelflight.engine.labelmodel.TiePolicy;
import dev.labelflight.engine.labelmodel.VotePatterns;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A worker verticle (deploy with {@code ThreadingModel.WORKER}) serving LF analysis
 * ({@link Addresses#ANALYSIS}), label-model fits ({@link Addresses#FIT_LABEL_MODEL}) and fitted models
 * ({@link Addresses#LABEL_MODEL}). It waits for the job to end, then reads the label chunks (and the gold
 * column) chunk by chunk under the node's memory budget; the engine keeps only sufficient statistics.
 * Config: {@code maxPatternBytes} (cap of the generative fit's vote-pattern table; past it the fit reads
 * the label chunks once per EM epoch instead). Multi-label jobs (status {@code multiLabel}) get per-class
 * analysis and per-class models. A fit with {@code baseModel} and {@code partialFit} builds on an earlier
 * generative model (see {@link #fit}). Both take {@code rowRanges} ({@code [[start, end), ...]}, at most
 * {@link RowRanges#MAX_RANGES}) or {@code selection} (the id of row ids uploaded as Arrow to
 * {@code ["selections", JOB]}, {@link RowBitmap}): only those rows of the job are read, so a client's subset of a
 * label matrix is analysed and fitted as it is. Analysis takes {@code "gold": "@dev"}: the dataset version's
 * hand-labelled dev set ({@link DevSetStore}), over exactly its rows.
 */
public final class LabelModelVerticle extends VerticleBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> ANALYSIS_FIELDS = Set.of("job", "gold", "rowRanges", "selection");
  private static final Set<String> FIT_FIELDS = Set.of("job", "model", "tiePolicy", "seed", "classBalance", "epochs",
      "baseModel", "partialFit", "rowRanges", "selection");
  private static final int MAX_EPOCHS = 10_000;
  /** Labels per slice of a label chunk read without gold (4 MiB as shorts). */
  private static final int SLICE_VALUES = 2 << 20;

  /** The {@code gold} value that names the dataset version's hand-labelled dev set. */
  static final String DEV_GOLD = "@dev";

  private final NodeResources node;
  private final FittedModels models;
  private DevSetStore devSets;
  private final long callTimeoutMs;
  private LabelFlightApi api;
  private JobLabelChunks chunks;
  private long maxPatternBytes;

  public LabelModelVerticle(NodeResources node, FittedModels models, long callTimeoutMs) {
    this.node = node;
    this.models = models;
    this.callTimeoutMs = callTimeoutMs;
  }

  @Override
  public Future<?> start() {
    api = new LabelFlightApi(vertx, callTimeoutMs);
    chunks = new JobLabelChunks(node.labels());
    devSets = new DevSetStore(node.dataDir());
    maxPatternBytes = config().getLong("maxPatternBytes", 64L << 20);
    var bus = vertx.eventBus();
    return Future.all(
        bus.<JsonObject>localConsumer(Addresses.ANALYSIS, m -> serve(m, this::analysis)).completion(),
        bus.<JsonObject>localConsumer(Addresses.FIT_LABEL_MODEL, m -> serve(m, this::fit)).completion(),
        bus.<JsonObject>localConsumer(Addresses.LABEL_MODEL, m -> serve(m, this::model)).completion());
  }

  /** Runs {@code handler} once the caller is known to own the job (a user's request for another's job: NOT_FOUND). */
  private void serve(Message<JsonObject> message, Function<JsonObject, Future<JsonObject>> handler) {
    Future<JsonObject> reply;
    try {
      String caller = Caller.of(message);
      reply = caller == null
          ? handler.apply(message.body())
          : api.forUser(caller).status(jobOf(message.body())).compose(owned -> handler.apply(message.body()));
    } catch (RuntimeException e) {
      reply = Future.failedFuture(e);
    }
    reply.onSuccess(message::reply).onFailure(e -> BusErrors.fail(message, e));
  }

  // ---- analysis ---------------------------------------------------------------------------------

  private Future<JsonObject> analysis(JsonObject body) {
    checkFields(body, ANALYSIS_FIELDS, "analysis");
    String job = jobOf(body);
    Object goldField = body.getValue("gold");
    if (goldField != null && !(goldField instanceof String)) {
      throw LabelFlightException.invalid("'gold' must be the name of a dataset column");
    }
    String goldName = (String) goldField;
    return api.status(job).compose(status -> {
      // Checked before waiting, so a bad gold column fails at once (reads a manifest: this is a worker).
      Manifest manifest = node.datasets().manifest(status.getString("datasetKey"), status.getInteger("version"));
      List<String> classes = classes(status);
      RowSelection rows = rowSelection(body, status, job);
      if (multiLabel(status) && DEV_GOLD.equals(goldName)) {
        throw LabelFlightException.invalid("'gold': \"@dev\" is for single-label jobs");
      }
      if (multiLabel(status)) {
        MultiLabelGold gold = goldName == null ? null : new MultiLabelGold(goldName, classes, manifest.arrowSchema());
        return JobLabelChunks.awaitFinished(api, job).compose(progress -> vertx.executeBlocking(() -> {
          List<String> lfs = strings(status.getJsonArray("lfs"));
          MultiLabelAnalysis analysis = new MultiLabelAnalysis(lfs, classes, lfClasses(status), gold != null);
          readAll(job, manifest, progress, rows, gold == null ? null : gold::read, analysis::add);
          return new JsonObject(JSON.writeValueAsString(analysis.toJson())).put("job", job);
        }, false));
      }
      GoldReader<short[]> gold;
      RowSelection selected = rows;
      if (DEV_GOLD.equals(goldName)) {
        // The hand-labelled dev set: exactly its rows, with their labels as gold.
        if (rows != null) {
          throw LabelFlightException.invalid("'gold': \"@dev\" analyses the dev set's rows; give no 'rowRanges' or 'selection'");
        }
        DevGold dev = devSets.get(manifest.name(), manifest.version()).gold(classes);
        if (dev.count() == 0) {
          throw LabelFlightException.invalid("the dev set of '" + status.getString("dataset") + "' v" + manifest.version()
              + " is empty: label some rows first");
        }
        selected = dev;
        gold = (data, firstRow) -> dev.read(firstRow, data.getRowCount());
      } else {
        GoldColumn column = goldName == null ? null : new GoldColumn(goldName, classes, manifest.arrowSchema());
        gold = column == null ? null : column::read;
      }
      RowSelection analysed = selected;
      return JobLabelChunks.awaitFinished(api, job)
          .compose(progress -> vertx.executeBlocking(() -> analyse(job, status, manifest, gold, progress, analysed), false));
    });
  }

  private JsonObject analyse(String job, JsonObject status, Manifest manifest, GoldReader<short[]> gold,
      JsonObject progress, RowSelection rows) throws Exception {
    List<String> lfs = strings(status.getJsonArray("lfs"));
    LfAnalysis analysis = new LfAnalysis(lfs, classes(status).size(), gold != null);
    ChunkConsumer<short[]> add = analysis::add;
    readAll(job, manifest, progress, rows, gold, add);
    return new JsonObject(JSON.writeValueAsString(analysis.summary().toJson())).put("job", job);
  }

  /** Reads the gold labels of one dataset chunk (one class column, or one per class for multi-label). */
  private interface GoldReader<G> {
    G read(VectorSchemaRoot data, long firstRow);
  }

  /** Gets one label chunk and, when gold was asked for, the gold labels of the same rows. */
  private interface ChunkConsumer<G> {
    void accept(LabelChunk chunk, G gold);
  }

  /**
   * Reads every label chunk in row order (with its gold labels), each under a budget reservation; with
   * {@code selection}, only its rows (one consumer call per selected run of a chunk).
   */
  private <G> void readAll(String job, Manifest manifest, JsonObject progress, RowSelection selection, GoldReader<G> gold,
      ChunkConsumer<G> consumer) throws Exception {
    try (BufferAllocator labelAllocator = node.allocator().newChildAllocator("labels of job " + job, 0, Long.MAX_VALUE)) {
      readAll(job, manifest, progress, selection, gold, consumer, labelAllocator);
    }
  }

  private <G> void readAll(String job, Manifest manifest, JsonObject progress, RowSelection selection, GoldReader<G> gold,
      ChunkConsumer<G> consumer, BufferAllocator labelAllocator) throws Exception {
    chunks.forEachFinished(job, progress, labelAllocator, (index, labels) -> {
      int rows = labels.getRowCount();
      long firstRow = rows == 0 ? 0 : ((org.apache.arrow.vector.BigIntVector) labels.getVector(0)).get(0);
      if (gold == null) {
        // Slices, so that a chunk of many LFs is not copied onto the heap whole.
        int step = Math.max(1, SLICE_VALUES / Math.max(1, labels.getFieldVectors().size() - 1));
        RowSelection.RunConsumer slices = (offset, length) -> {
          for (int from = offset; from < offset + length; from += step) {
            consumer.accept(LabelChunk.of(labels, from, Math.min(step, offset + length - from)), null);
          }
        };
        if (selection == null) {
          slices.accept(0, rows);
        } else {
          selection.forEachRun(firstRow, rows, slices);
        }
        return true;
      }
      if (selection != null && !selected(selection, firstRow, rows)) {
        return true;
      }
      LabelChunk chunk = LabelChunk.of(labels);
      G goldLabels;
      String owner = "gold of job " + job + " chunk " + index;
      long estimate = ChunkLabeler.memoryEstimate(manifest.chunk(index), 0);
      node.budget().reserve(owner, estimate).get();
      try (BufferAllocator allocator = node.allocator().newChildAllocator(owner, 0, estimate);
           VectorSchemaRoot data = node.datasets().readChunk(manifest, index, allocator)) {
        goldLabels = gold.read(data, manifest.chunk(index).firstRow());
      } finally {
        node.budget().free(owner, estimate);
      }
      if (selection == null) {
        consumer.accept(chunk, goldLabels);
      } else {
        G all = goldLabels;
        selection.forEachRun(firstRow, rows, (offset, length) -> consumer.accept(
            LabelChunk.of(labels, offset, length), slice(all, offset, length)));
      }
      return true;
    });
  }

  /** Whether {@code selection} holds any row of {@code [firstRow, firstRow + rows)}. */
  private static boolean selected(RowSelection selection, long firstRow, int rows) throws Exception {
    boolean[] any = {false};
    selection.forEachRun(firstRow, rows, (offset, length) -> any[0] = true);
    return any[0];
  }

  /** Gold labels of rows {@code [from, from + length)} of a chunk: one column, or one per class (multi-label). */
  @SuppressWarnings("unchecked")
  private static <G> G slice(G gold, int from, int length) {
    if (gold instanceof short[] column) {
      return (G) java.util.Arrays.copyOfRange(column, from, from + length);
    }
    short[][] perClass = (short[][]) gold;
    short[][] out = new short[perClass.length][];
    for (int c = 0; c < perClass.length; c++) {
      out[c] = java.util.Arrays.copyOfRange(perClass[c], from, from + length);
    }
    return (G) out;
  }

  /** The request's {@code rowRanges} or uploaded {@code selection}, checked against the job's rows; null for every row. */
  private RowSelection rowSelection(JsonObject body, JsonObject status, String job) {
    Object value = body.getValue("rowRanges");
    Object id = body.getValue("selection");
    if (id != null) {
      if (value != null) {
        throw LabelFlightException.invalid("give 'rowRanges' or 'selection', not both");
      }
      if (!(id instanceof String s) || !s.matches("[0-9a-f-]{1,64}")) {
        throw LabelFlightException.invalid("'selection' must be the id an upload to [\"selections\", JOB] returned");
      }
      try {
        return RowBitmap.read(node.labels().selectionFile(job, s), s, status.getLong("rowsTotal"));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot read row selection " + s, e);
      }
    }
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array)) {
      throw LabelFlightException.invalid("'rowRanges' must be a list of [start, end) pairs of row ids");
    }
    if (array.size() > RowRanges.MAX_RANGES) {
      throw LabelFlightException.invalid("'rowRanges' has " + array.size() + " ranges; at most " + RowRanges.MAX_RANGES
          + " are allowed").withDetail(LabelFlightException.Detail.LIMIT, RowRanges.MAX_RANGES)
          .withDetail(LabelFlightException.Detail.FIELD, "rowRanges");
    }
    long[] pairs = new long[array.size() * 2];
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonArray pair) || pair.size() != 2
          || !(pair.getValue(0) instanceof Integer || pair.getValue(0) instanceof Long)
          || !(pair.getValue(1) instanceof Integer || pair.getValue(1) instanceof Long)) {
        throw LabelFlightException.invalid("'rowRanges' entry " + i + " must be a pair [start, end) of row ids");
      }
      pairs[2 * i] = ((Number) pair.getValue(0)).longValue();
      pairs[2 * i + 1] = ((Number) pair.getValue(1)).longValue();
    }
    return RowRanges.of(pairs, status.getLong("rowsTotal"));
  }

  // ---- fit --------------------------------------------------------------------------------------

  /**
   * Fits a model on a job. With {@code baseModel} (the id of a generative model fitted on this node, any
   * job with the same classes) and {@code partialFit}: {@code "rows"} treats this job's rows as new rows for
   * the same LFs (same names, same order): only they are read, the base model's statistics stand for its
   * rows; {@code "lfs"} treats this job as the base model's rows with more LFs (the base model's LFs first):
   * EM restarts from the base model. Not for multi-label jobs.
   */
  private Future<JsonObject> fit(JsonObject body) {
    checkFields(body, FIT_FIELDS, "fit_label_model");
    String job = jobOf(body);
    String kind = body.getValue("model") instanceof String s ? s : null;
    if (!"majority".equals(kind) && !"generative".equals(kind)) {
      throw LabelFlightException.invalid("'model' must be \"majority\" or \"generative\"");
    }
    TiePolicy tiePolicy = body.getValue("tiePolicy") == null ? TiePolicy.ABSTAIN
        : TiePolicy.parse(String.valueOf(body.getValue("tiePolicy")));
    Long seed = body.getValue("seed") == null ? null : integer(body, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
    int epochs = body.getValue("epochs") == null ? GenerativeModel.Options.defaults().maxEpochs()
        : (int) integer(body, "epochs", 1, MAX_EPOCHS);
    FittedModels.Fitted base = baseModel(body, kind);
    GenerativeModel.PartialFit partial = base == null ? null : GenerativeModel.PartialFit.parse(body.getString("partialFit"));
    return api.status(job).compose(status -> {
      List<String> classes = classes(status);
      List<String> lfs = strings(status.getJsonArray("lfs"));
      boolean multiLabel = multiLabel(status);
      double[] balance = balance(body.getValue("classBalance"), !multiLabel);
      if (classes.size() < (multiLabel ? 1 : 2)) {
        throw LabelFlightException.invalid("job " + job + " has " + classes.size() + " class; a label model needs 2 or more");
      }
      if (balance != null && balance.length != classes.size()) {
        throw LabelFlightException.invalid("'classBalance' has " + balance.length + " entries; the job has "
            + classes.size() + " classes");
      }
      if (base != null) {
        checkBase(base, partial, classes, lfs, multiLabel);
      }
      LfClasses lfClasses = multiLabel ? lfClasses(status) : null;
      RowSelection selection = rowSelection(body, status, job);
      return JobLabelChunks.awaitFinished(api, job).compose(progress -> vertx.executeBlocking(() -> {
        long rows = selection == null ? status.getLong("rowsTotal") : selection.count();
        LabelModel model;
        if (multiLabel) {
          model = kind.equals("majority") ? MultiLabelModel.majority(lfClasses)
              : fitMultiLabel(job, progress, selection, lfClasses, balance, epochs);
        } else if (kind.equals("majority")) {
          model = new MajorityVote(classes.size(), lfs.size());
        } else {
          GenerativeModel.Options options = new GenerativeModel.Options(balance, epochs, 1e-6);
          model = base == null ? fitGenerative(job, progress, selection, classes.size(), lfs.size(), options)
              : fitPartial(job, progress, selection, (GenerativeModel) base.model(), partial, lfs.size(), options);
          if (partial == GenerativeModel.PartialFit.ROWS) {
            rows += base.rows();
          }
        }
        FittedModels.Fitted fitted = new FittedModels.Fitted(UUID.randomUUID().toString(), job, classes, lfs, model,
            tiePolicy, seed, rows);
        models.put(fitted);
        return describe(fitted);
      }, false));
    });
  }

  /** The base model of a partial fit, or null; both fields come together. */
  private FittedModels.Fitted baseModel(JsonObject body, String kind) {
    Object id = body.getValue("baseModel");
    Object partial = body.getValue("partialFit");
    if (id == null && partial == null) {
      return null;
    }
    if (!(id instanceof String) || !(partial instanceof String)) {
      throw LabelFlightException.invalid("a partial fit needs both 'baseModel' (a model id) and 'partialFit' (\"rows\" or \"lfs\")");
    }
    if (!kind.equals("generative")) {
      throw LabelFlightException.invalid("partial fits are for generative models");
    }
    FittedModels.Fitted base = models.get((String) id);
    if (!(base.model() instanceof GenerativeModel)) {
      throw LabelFlightException.invalid("base model '" + id + "' is not a generative model of a single-label job");
    }
    return base;
  }

  private static void checkBase(FittedModels.Fitted base, GenerativeModel.PartialFit partial, List<String> classes,
      List<String> lfs, boolean multiLabel) {
    if (multiLabel) {
      throw LabelFlightException.invalid("partial fits are not supported for multi-label jobs");
    }
    if (!base.classes().equals(classes)) {
      throw LabelFlightException.invalid("base model '" + base.id() + "' has classes " + base.classes() + ", the job "
          + classes);
    }
    boolean fits = partial == GenerativeModel.PartialFit.ROWS ? base.lfs().equals(lfs)
        : lfs.size() >= base.lfs().size() && lfs.subList(0, base.lfs().size()).equals(base.lfs());
    if (!fits) {
      throw LabelFlightException.invalid(partial == GenerativeModel.PartialFit.ROWS
          ? "a partial fit on new rows needs the job's LFs to be the base model's " + base.lfs()
          : "a partial fit on new LFs needs the job's LFs to start with the base model's " + base.lfs());
    }
  }

  private GenerativeModel fitPartial(String job, JsonObject progress, RowSelection selection, GenerativeModel base,
      GenerativeModel.PartialFit partial, int lfs, GenerativeModel.Options options) throws Exception {
    GenerativeModel.Fitter fitter = GenerativeModel.Fitter.partial(base, partial, lfs, options);
    while (!fitter.done()) {
      readAll(job, null, progress, selection, null, (chunk, gold) -> fitter.add(chunk, null));
      fitter.endEpoch();
    }
    return fitter.model();
  }

  /** One binary generative model per class, all fitted in the same passes over the label chunks. */
  private MultiLabelModel fitMultiLabel(String job, JsonObject progress, RowSelection selection, LfClasses lfClasses,
      double[] positive, int epochs) throws Exception {
    MultiLabelModel.Fitter fitter = new MultiLabelModel.Fitter(lfClasses, positive, epochs, 1e-6);
    while (!fitter.done()) {
      readAll(job, null, progress, selection, null, (chunk, gold) -> fitter.add(chunk));
      fitter.endEpoch();
    }
    return fitter.model();
  }

  private GenerativeModel fitGenerative(String job, JsonObject progress, RowSelection selection, int classes, int lfs,
      GenerativeModel.Options options) throws Exception {
    VotePatterns patterns = votePatterns(job, progress, selection, lfs);
    if (patterns != null) {
      return GenerativeModel.fit(patterns, classes, options);
    }
    // Too many distinct vote patterns to keep: EM over the label chunks themselves, one read per epoch.
    GenerativeModel.Fitter fitter = new GenerativeModel.Fitter(lfs, classes, options);
    while (!fitter.done()) {
      readAll(job, null, progress, selection, null, (chunk, gold) -> fitter.add(chunk, null));
      fitter.endEpoch();
    }
    return fitter.model();
  }

  /** The job's vote patterns, or null when there are more than {@code maxPatternBytes} can hold. */
  private VotePatterns votePatterns(String job, JsonObject progress, RowSelection selection, int lfs) throws Exception {
    // A pattern costs two bytes per LF (int16 votes) plus its count and hash slots.
    int maxPatterns = (int) Math.max(1, Math.min(Integer.MAX_VALUE / 2, maxPatternBytes / (2L * lfs + 16L)));
    VotePatterns patterns = new VotePatterns(lfs, maxPatterns);
    try {
      readAll(job, null, progress, selection, null, (chunk, gold) -> patterns.add(chunk));
      return patterns;
    } catch (LabelFlightException e) {
      if (e.kind() != LabelFlightException.Kind.RESOURCE_EXHAUSTED) {
        throw e;
      }
      return null;
    }
  }

  private static JsonObject describe(FittedModels.Fitted f) {
    JsonObject json = new JsonObject()
        .put("model", f.id())
        .put("job", f.job())
        .put("kind", f.model().kind())
        .put("classes", new JsonArray(f.classes()))
        .put("lfs", new JsonArray(f.lfs()))
        .put("classBalance", array(f.model().classBalance()))
        .put("weights", array(f.model().weights()))
        .put("tiePolicy", f.tiePolicy().id())
        .put("rows", f.rows());
    if (f.seed() != null) {
      json.put("seed", f.seed());
    }
    if (f.model() instanceof GenerativeModel g) {
      json.put("epochs", g.epochs());
    }
    if (f.model() instanceof MultiLabelModel m) {
      json.put("multiLabel", true);
      JsonArray classOf = new JsonArray();
      for (int c : m.lfClasses().toArray()) {
        classOf.add(c);
      }
      json.put("lfClasses", classOf);
    }
    return json;
  }

  // ---- fitted model lookup ----------------------------------------------------------------------

  /** {@code {"job", "model"}} -> the model's description plus {@code params} to rebuild it with. */
  private Future<JsonObject> model(JsonObject body) throws LabelFlightException {
    FittedModels.Fitted f = models.get(jobOf(body), String.valueOf(body.getValue("model")));
    try {
      return Future.succeededFuture(describe(f).put("params", new JsonObject(JSON.writeValueAsString(f.model().toJson()))));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw LabelFlightException.internal("cannot encode label model " + f.id(), e);
    }
  }

  // ---- request checks ---------------------------------------------------------------------------

  private static void checkFields(JsonObject body, Set<String> known, String action) {
    if (body == null) {
      throw LabelFlightException.invalid(action + " body must be a JSON object");
    }
    for (String field : body.fieldNames()) {
      if (!known.contains(field)) {
        throw LabelFlightException.invalid("unknown field '" + field + "' in " + action + " (known: "
            + String.join(", ", known.stream().sorted().toList()) + ")");
      }
    }
  }

  private static String jobOf(JsonObject body) {
    Object job = body.getValue("job");
    if (!(job instanceof String s)) {
      throw LabelFlightException.invalid("missing 'job'");
    }
    return LabelStore.validateJobId(s);
  }

  private static long integer(JsonObject body, String field, long min, long max) {
    Object v = body.getValue(field);
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min || ((Number) v).longValue() > max) {
      throw LabelFlightException.invalid("'" + field + "' must be an integer" + (min > Long.MIN_VALUE
          ? " in " + min + ".." + max : ""));
    }
    return ((Number) v).longValue();
  }

  /** {@code classBalance}: a distribution over the classes, or (multi-label) each class's own P(positive). */
  private static double[] balance(Object value, boolean sumsToOne) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array) || array.isEmpty()) {
      throw LabelFlightException.invalid("'classBalance' must be a list of one probability per class");
    }
    double[] balance = new double[array.size()];
    double sum = 0;
    for (int c = 0; c < balance.length; c++) {
      if (!(array.getValue(c) instanceof Number n) || !(n.doubleValue() > 0) || n.doubleValue() > 1
          || (!sumsToOne && n.doubleValue() == 1)) {
        throw LabelFlightException.invalid("'classBalance' entries must be numbers in (0, 1" + (sumsToOne ? "]" : ")"));
      }
      balance[c] = n.doubleValue();
      sum += balance[c];
    }
    if (sumsToOne && Math.abs(sum - 1) > 1e-6) {
      throw LabelFlightException.invalid("'classBalance' must sum to 1, not " + sum);
    }
    return balance;
  }

  private static boolean multiLabel(JsonObject status) {
    return Boolean.TRUE.equals(status.getValue("multiLabel"));
  }

  /** The class each LF of a multi-label job votes on ({@code lfClasses} in its status). */
  private static LfClasses lfClasses(JsonObject status) {
    JsonArray array = status.getJsonArray("lfClasses");
    int lfs = status.getJsonArray("lfs").size();
    if (array == null || array.size() != lfs) {
      throw LabelFlightException.internal("multi-label job status lacks 'lfClasses' for its " + lfs + " LFs", null);
    }
    int[] classOf = new int[lfs];
    for (int j = 0; j < lfs; j++) {
      classOf[j] = array.getInteger(j);
    }
    return new LfClasses(classOf, classes(status).size());
  }

  private static List<String> classes(JsonObject status) {
    return strings(status.getJsonArray("classes"));
  }

  private static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>(array.size());
    array.forEach(o -> out.add((String) o));
    return out;
  }

  private static JsonArray array(double[] values) {
    JsonArray a = new JsonArray();
    for (double v : values) {
      a.add(v);
    }
    return a;
  }
}
