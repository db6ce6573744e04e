package dev.labelflight.verticles.labelmodel;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.analysis.GoldColumn;
import dev.labelflight.engine.devset.DevGold;
import dev.labelflight.engine.devset.DevSetStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.labelmatrix.RowSelection;
import dev.labelflight.engine.labelmodel.FitDiagnostics;
import dev.labelflight.engine.labelmodel.FitReport;
import dev.labelflight.engine.labelmodel.FitSettings;
import dev.labelflight.engine.labelmodel.GenerativeModel;
import dev.labelflight.engine.labelmodel.LabelModel;
import dev.labelflight.engine.labelmodel.ModelFitter;
import dev.labelflight.engine.labelmodel.ModelKind;
import dev.labelflight.engine.labelmodel.ModelSelection;
import dev.labelflight.engine.labelmodel.MultiLabelModel;
import dev.labelflight.engine.labelmodel.RowSample;
import dev.labelflight.engine.labelmodel.VotePatterns;
import dev.labelflight.engine.labelmodel.artifact.ModelArtifact;
import dev.labelflight.engine.labelmodel.artifact.ModelStore;
import dev.labelflight.engine.memory.footprint.ModelFitFootprint;
import dev.labelflight.engine.store.Manifest;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Fits a label model on a finished job and stores it as the next version of a model artifact of the user
 * ({@link ModelStore}). The first pass over the label matrix collects the vote patterns (when they fit in
 * {@code maxPatternBytes}; later passes then run in memory), a bounded sample of rows for the fit
 * diagnostics, and the dev rows (rows with gold) that {@code auto} chooses by. Every requested fitter shares
 * the passes. Blocking: call from a worker.
 */
final class ModelFits {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Label values kept for the dev set and for the diagnostics sample (each: at most this many LFs x rows). */
  private static final long DEV_VALUES = 20_000_000L;
  private static final long SAMPLE_VALUES = 10_000_000L;

  private final LabelMatrixReader reader;
  private final ModelStore store;
  private final DevSetStore devSets;
  private final long maxPatternBytes;

  ModelFits(LabelMatrixReader reader, ModelStore store, DevSetStore devSets, long maxPatternBytes) {
    this.devSets = devSets;
    this.reader = reader;
    this.store = store;
    this.maxPatternBytes = maxPatternBytes;
  }

  /** What a fit produced: the stored artifact and the reply for the caller. */
  record Fitted(ModelArtifact artifact, JsonObject reply) {}

  Fitted fit(FitRequest request, JobFacts facts, Manifest manifest, JsonObject progress, RowSelection selection,
      String user) throws Exception {
    int k = facts.classes().size();
    int m = facts.lfs().size();
    if (k < (facts.multiLabel() ? 1 : 2)) {
      throw LabelFlightException.invalid("job " + facts.job() + " has " + k + " class; a label model needs 2 or more");
    }
    double[] balance = LabelModelRequests.balance(request.classBalance(), k, !facts.multiLabel());
    FitSettings settings = FitSettings.defaults().withClassBalance(balance).withMaxEpochs(request.epochs());
    String name = request.name() != null ? request.name() : facts.dataset();
    long rows = selection == null ? facts.rowsTotal() : selection.count();
    if (facts.multiLabel()) {
      return multiLabel(request, facts, progress, selection, user, settings, balance, name, rows);
    }
    LabelMatrixReader.GoldReader<short[]> gold = request.gold() == null ? null
        : goldReader(request.gold(), facts, manifest);
    RowSample dev = gold == null ? null : new RowSample(m, (int) Math.max(100, Math.min(100_000, DEV_VALUES / Math.max(1, m))));
    RowSample sample = new RowSample(m, (int) Math.max(100, Math.min(50_000, SAMPLE_VALUES / Math.max(1, m))));

    List<ModelFitter> fitters = new ArrayList<>();
    List<ModelSelection.Candidate> skipped = new ArrayList<>();
    ModelArtifact base = null;
    if (request.baseModel() != null) {
      base = baseModel(request, facts, user);
      GenerativeModel generative = (GenerativeModel) base.model();
      fitters.add(GenerativeModel.Fitter.partial(generative, request.partialFit(), m,
          new GenerativeModel.Options(balance, request.epochs(), 1e-6)));
      if (request.partialFit() == GenerativeModel.PartialFit.ROWS) {
        rows += base.document().path("training").path("rows").asLong();
      }
    } else {
      for (ModelKind kind : request.auto() ? ModelKind.candidates() : List.of(request.kind())) {
        try {
          fitters.add(settings.fitter(kind, m, k));
        } catch (LabelFlightException e) {
          if (!request.auto()) {
            throw e;
          }
          skipped.add(new ModelSelection.Candidate(kind, null, null, null, null, null, e.getMessage()));
        }
      }
    }

    // First pass: patterns (for in-memory passes), the sample and the dev rows.
    int maxPatterns = (int) Math.max(1, Math.min(Integer.MAX_VALUE / 2, maxPatternBytes / ModelFitFootprint.votePattern(m)));
    VotePatterns patterns = new VotePatterns(m, maxPatterns);
    boolean[] overflow = {false};
    reader.readAll(facts.job(), manifest, progress, selection, gold, (chunk, goldLabels) -> {
      if (!overflow[0]) {
        try {
          patterns.add(chunk);
        } catch (LabelFlightException e) {
          if (e.kind() != LabelFlightException.Kind.RESOURCE_EXHAUSTED) {
            throw e;
          }
          overflow[0] = true;
        }
      }
      sample.add(chunk, null, null);
      if (dev != null) {
        dev.addGold(chunk, ints(goldLabels));
      }
    });
    FitSettings.Passes passes;
    if (!overflow[0]) {
      LabelChunk distinct = patterns.asChunk();
      long[] counts = patterns.counts();
      passes = consumer -> consumer.accept(distinct, counts);
    } else {
      // Too many distinct vote patterns to keep: every pass reads the label chunks again.
      passes = consumer -> reader.readAll(facts.job(), manifest, progress, selection, null,
          (chunk, ignored) -> consumer.accept(chunk, null));
    }
    FitSettings.fitAll(fitters, passes, null);

    List<ModelSelection.Candidate> candidates = new ArrayList<>();
    for (ModelFitter f : fitters) {
      LabelModel model = f.model();
      candidates.add(new ModelSelection.Candidate(f.kind(), model, f.report(),
          FitDiagnostics.of(model, sample, facts.classes()), null, null, null));
    }
    candidates.addAll(skipped);
    ModelSelection.Selection chosen = request.auto() || dev != null ? ModelSelection.select(candidates, dev) : null;
    ModelSelection.Candidate winner = request.auto() ? chosen.chosenCandidate()
        : (chosen != null ? chosen.candidates().get(0) : candidates.get(0));

    ObjectNode metrics = JSON.createObjectNode();
    metrics.set("fit", report(winner.report()));
    metrics.set("diagnostics", diagnostics(winner.diagnostics(), facts.classes()));
    if (winner.devAccuracy() != null) {
      metrics.put("devAccuracy", winner.devAccuracy()).put("devLogLoss", winner.devLogLoss())
          .put("devRows", dev.withGold());
    }
    if (request.auto()) {
      metrics.set("selection", selectionJson(chosen));
    }
    ObjectNode document = document(request, facts, rows, winner.model(), metrics, balance);
    ModelArtifact artifact = store.save(user, name, document);
    return new Fitted(artifact, ModelDescriptions.describe(artifact));
  }

  private Fitted multiLabel(FitRequest request, JobFacts facts, JsonObject progress, RowSelection selection,
      String user, FitSettings settings, double[] balance, String name, long rows) throws Exception {
    if (request.auto() || request.gold() != null || request.baseModel() != null) {
      throw LabelFlightException.invalid("multi-label jobs take a model kind (one binary model per class), without"
          + " 'auto', 'gold' or a partial fit");
    }
    MultiLabelModel.Fitter fitter = new MultiLabelModel.Fitter(facts.lfClasses(), balance, settings, request.kind());
    while (!fitter.done()) {
      reader.readAll(facts.job(), null, progress, selection, null, (chunk, gold) -> fitter.add(chunk));
      fitter.endEpoch();
    }
    ObjectNode metrics = JSON.createObjectNode();
    ArrayNode perClass = metrics.putArray("fitPerClass");
    fitter.reports().forEach(r -> perClass.add(report(r)));
    ObjectNode document = document(request, facts, rows, fitter.model(), metrics, balance);
    ModelArtifact artifact = store.save(user, name, document);
    return new Fitted(artifact, ModelDescriptions.describe(artifact));
  }

  /** The stored base of a partial fit: the caller's generative model with the job's classes and fitting LFs. */
  private ModelArtifact baseModel(FitRequest request, JobFacts facts, String user) {
    ModelArtifact base = ModelDescriptions.load(store, user, request.baseModel());
    if (!(base.model() instanceof GenerativeModel g) || g.statistics() == null) {
      throw LabelFlightException.invalid("base model " + base.label() + " is not a generative model of a single-label"
          + " job with statistics to build on");
    }
    if (!base.classes().equals(facts.classes())) {
      throw LabelFlightException.invalid("base model " + base.label() + " has classes " + base.classes() + ", the job "
          + facts.classes());
    }
    List<String> baseLfs = base.lfs().stream().map(ModelArtifact.Lf::name).toList();
    boolean fits = request.partialFit() == GenerativeModel.PartialFit.ROWS ? baseLfs.equals(facts.lfs())
        : facts.lfs().size() >= baseLfs.size() && facts.lfs().subList(0, baseLfs.size()).equals(baseLfs);
    if (!fits) {
      throw LabelFlightException.invalid(request.partialFit() == GenerativeModel.PartialFit.ROWS
          ? "a partial fit on new rows needs the job's LFs to be the base model's " + baseLfs
          : "a partial fit on new LFs needs the job's LFs to start with the base model's " + baseLfs);
    }
    return base;
  }

  private static ObjectNode document(FitRequest request, JobFacts facts, long rows, LabelModel model, ObjectNode metrics,
      double[] balance) {
    ObjectNode doc = JSON.createObjectNode().put("kind", model.kind()).put("requested", request.kindText())
        .put("multiLabel", facts.multiLabel());
    ArrayNode classes = doc.putArray("classes");
    facts.classes().forEach(classes::add);
    ArrayNode lfs = doc.putArray("lfs");
    for (int j = 0; j < facts.lfs().size(); j++) {
      lfs.addObject().put("name", facts.lfs().get(j)).put("fingerprint", facts.fingerprints().get(j));
    }
    doc.putObject("training").put("dataset", facts.dataset()).put("version", facts.version()).put("job", facts.job())
        .put("rows", rows);
    ObjectNode settings = doc.putObject("settings").put("tiePolicy", request.tiePolicy().id()).put("epochs", request.epochs());
    if (request.seed() != null) {
      settings.put("seed", request.seed());
    }
    if (request.gold() != null) {
      settings.put("gold", request.gold());
    }
    if (balance != null) {
      ArrayNode b = settings.putArray("classBalance");
      for (double x : balance) {
        b.add(x);
      }
    }
    doc.set("metrics", metrics);
    doc.set("params", model.toJson());
    if (model instanceof GenerativeModel || model instanceof MultiLabelModel) {
      // The export form: what the Python client predicts with offline.
      doc.set("loglinear", exportForm(model));
    }
    return doc;
  }

  /** The model's JSON with every generative model in its log-linear form (same predictions). */
  private static ObjectNode exportForm(LabelModel model) {
    if (model instanceof GenerativeModel g) {
      return g.asLogLinear().toJson();
    }
    ObjectNode json = model.toJson();
    if (model instanceof MultiLabelModel m) {
      ArrayNode models = json.putArray("models");
      for (int c = 0; c < m.classes(); c++) {
        models.add(exportForm(m.model(c)));
      }
    }
    return json;
  }

  static ObjectNode report(FitReport r) {
    ObjectNode json = JSON.createObjectNode().put("kind", r.kind().id()).put("iterations", r.iterations())
        .put("converged", r.converged()).put("lossName", r.lossName()).put("passes", r.passes());
    ArrayNode loss = json.putArray("loss");
    r.loss().forEach(loss::add);
    if (r.note() != null) {
      json.put("note", r.note());
    }
    return json;
  }

  static ObjectNode diagnostics(FitDiagnostics d, List<String> classes) {
    ObjectNode json = JSON.createObjectNode().put("agreementWithMajority", d.agreementWithMajority())
        .put("rowsCompared", d.rowsCompared());
    ObjectNode shares = json.putObject("predictedShares");
    for (int c = 0; c < d.predictedShares().length; c++) {
      shares.put(classes.get(c), d.predictedShares()[c]);
    }
    ArrayNode warnings = json.putArray("warnings");
    d.warnings().forEach(warnings::add);
    return json;
  }

  private static ObjectNode selectionJson(ModelSelection.Selection s) {
    ObjectNode json = JSON.createObjectNode().put("chosen", s.chosen().id()).put("supervised", s.supervised())
        .put("devRows", s.devRows()).put("rule", s.rule());
    ArrayNode candidates = json.putArray("candidates");
    for (ModelSelection.Candidate c : s.candidates()) {
      ObjectNode row = candidates.addObject().put("kind", c.kind().id());
      if (c.skipped() != null) {
        row.put("skipped", c.skipped());
        continue;
      }
      if (c.devAccuracy() != null) {
        row.put("devAccuracy", c.devAccuracy()).put("devLogLoss", c.devLogLoss());
      }
      row.put("converged", c.report().converged()).put("iterations", c.report().iterations());
      row.put("agreementWithMajority", c.diagnostics().agreementWithMajority());
      ArrayNode warnings = row.putArray("warnings");
      c.diagnostics().warnings().forEach(warnings::add);
    }
    return json;
  }

  /** Gold as class indexes (-1 where a row has none). */
  /**
   * The gold labels a fit scores candidates by: a dataset column, or {@code @dev}, the dataset version's
   * hand-labelled dev set (the web page's); INVALID_ARGUMENT for an unknown column or an empty dev set.
   */
  LabelMatrixReader.GoldReader<short[]> goldReader(String name, JobFacts facts, Manifest manifest) {
    if (LabelModelVerticle.DEV_GOLD.equals(name)) {
      DevGold dev = devGold(facts, manifest);
      return (data, firstRow) -> dev.read(firstRow, data.getRowCount());
    }
    GoldColumn column = new GoldColumn(name, facts.classes(), manifest.arrowSchema());
    return column::read;
  }

  /** The dataset version's dev set as gold; INVALID_ARGUMENT if nobody labelled a row of it yet. */
  DevGold devGold(JobFacts facts, Manifest manifest) {
    DevGold dev = devSets.get(manifest.name(), manifest.version()).gold(facts.classes());
    if (dev.count() == 0) {
      throw LabelFlightException.invalid("the dev set of '" + facts.dataset() + "' v" + manifest.version()
          + " is empty: label some rows first, or name a gold column")
          .withDetail(LabelFlightException.Detail.FIELD, "gold");
    }
    return dev;
  }

  private static int[] ints(Object gold) {
    short[] column = (short[]) gold;
    int[] out = new int[column.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = column[i];
    }
    return out;
  }
}
