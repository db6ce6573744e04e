package dev.labelflight.verticles.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.analysis.GoldColumn;
import dev.labelflight.engine.browse.RowSampler;
import dev.labelflight.engine.derive.DerivedColumnStore;
import dev.labelflight.engine.devset.DevSet;
import dev.labelflight.engine.devset.DevSetStore;
import dev.labelflight.engine.devset.RowShuffle;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.verticles.node.MemoryAdmission;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.review.Gold;
import dev.labelflight.engine.review.ModelScores;
import dev.labelflight.engine.review.ReviewFinder;
import dev.labelflight.engine.review.ReviewQuery;
import dev.labelflight.engine.review.ReviewView;
import dev.labelflight.engine.review.TextSearch;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.bus.Caller;
import dev.labelflight.verticles.node.NodeResources;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A worker verticle (deploy with {@code ThreadingModel.WORKER}) serving the page's review work:
 * {@link Addresses#REVIEW_ROWS} (error-analysis pages of a job), {@link Addresses#SEARCH} (keyword/regex
 * search with coverage and accuracy on gold), {@link Addresses#DEVSET_GET}, {@link Addresses#DEVSET_PUT} and
 * {@link Addresses#DEVSET_NEXT} (the hand-labelled dev set). A job is found through the coordinator acting
 * for the caller (another user's job is NOT_FOUND), a dataset in the caller's namespace; every scan runs
 * under a budget reservation of its estimate with an allocator capped at it.
 */
public final class ReviewVerticle extends VerticleBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Rows whose dev labels one DEVSET_GET may ask for. */
  static final int MAX_ROWS_ASKED = 1_000;

  private final NodeResources node;
  private final DevSetStore devSets;
  private final ModelLookup models;
  private final long requestTimeoutMs;

  public ReviewVerticle(NodeResources node, DevSetStore devSets, ModelLookup models, long requestTimeoutMs) {
    this.node = node;
    this.devSets = devSets;
    this.models = models;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  @Override
  public Future<?> start() {
    var bus = vertx.eventBus();
    return Future.all(List.of(
        bus.localConsumer(Addresses.REVIEW_ROWS, this::reviewRows).completion(),
        bus.localConsumer(Addresses.SEARCH, m -> answer(m, () -> search(m, RequestFields.body(m)))).completion(),
        bus.localConsumer(Addresses.DEVSET_GET, m -> answer(m, () -> devSetGet(m, RequestFields.body(m)))).completion(),
        bus.localConsumer(Addresses.DEVSET_PUT, m -> answer(m, () -> devSetPut(m, RequestFields.body(m)))).completion(),
        bus.localConsumer(Addresses.DEVSET_NEXT, m -> answer(m, () -> devSetNext(m, RequestFields.body(m)))).completion()));
  }

  private static void answer(Message<Object> message, Callable<JsonObject> work) {
    try {
      message.reply(work.call());
    } catch (Throwable t) {
      BusErrors.fail(message, t);
    }
  }

  // ---- error analysis ---------------------------------------------------------------------------

  private void reviewRows(Message<Object> message) {
    String user = Caller.of(message);
    JsonObject request;
    String job;
    try {
      request = RequestFields.body(message);
      job = RequestFields.string(request, "job");
      ReviewView.parse(RequestFields.string(request, "view"));
    } catch (RuntimeException e) {
      BusErrors.fail(message, e);
      return;
    }
    DeliveryOptions asCaller = Caller.stamp(new DeliveryOptions().setSendTimeout(requestTimeoutMs).setLocalOnly(true), user);
    var bus = vertx.eventBus();
    bus.<JsonObject>request(Addresses.JOB_STATUS, new JsonObject().put("job", job).put("specs", true), asCaller)
        .compose(status -> bus.<JsonObject>request(Addresses.AWAIT_PROGRESS,
                new JsonObject().put("job", job).put("after", -1), asCaller)
            .compose(progress -> {
              String model = RequestFields.optionalString(request, "model");
              Future<ModelScores> scores = model == null ? Future.succeededFuture(null)
                  : models.scores(user, status.body(), model);
              return scores.map(s -> review(request, status.body(), progress.body(), s));
            }))
        .onSuccess(message::reply)
        .onFailure(e -> BusErrors.fail(message, e));
  }

  private JsonObject review(JsonObject request, JsonObject status, JsonObject progress, ModelScores model) {
    if (Boolean.TRUE.equals(status.getValue("multiLabel"))) {
      throw LabelFlightException.invalid("the review pages are for single-label jobs; job " + status.getString("job")
          + " is multi-label");
    }
    Manifest manifest = node.datasets().manifest(status.getString("datasetKey"), status.getInteger("version"));
    List<String> lfs = ModelLookup.strings(status.getJsonArray("lfs"));
    List<String> classes = ModelLookup.strings(status.getJsonArray("classes"));
    List<LfSpec> specs = new ArrayList<>();
    JsonArray given = status.getJsonArray("specs", new JsonArray());
    for (int i = 0; i < given.size(); i++) {
      specs.add(LfSpec.parse(jsonNode(given.getJsonObject(i)), i));
    }
    ReviewQuery query = new ReviewQuery(ReviewView.parse(request.getString("view")),
        request.getValue("lf") == null ? -1 : indexOf(lfs, RequestFields.string(request, "lf"), "LF"),
        classIndex(request.getValue("class"), classes),
        RequestFields.number(request, "minConfidence", 0), RequestFields.number(request, "maxConfidence", 1),
        RequestFields.integer(request, "offset", 0, 0, Long.MAX_VALUE),
        (int) RequestFields.integer(request, "limit", 20, 1, ReviewQuery.MAX_LIMIT));
    Gold gold = gold(RequestFields.optionalString(request, "gold"), manifest, classes);
    List<AtomicFiles.Written> files = new ArrayList<>();
    long estimate = 0;
    JsonArray done = progress.getJsonArray("files");
    for (int i = 0; i < done.size(); i++) {
      JsonObject f = done.getJsonObject(i);
      files.add(new AtomicFiles.Written(f.getLong("bytes"), f.getLong("crc32c")));
      estimate = Math.max(estimate, 2 * f.getLong("bytes") + new RowSampler(node.datasets()).memoryEstimate(manifest, List.of(i)));
    }
    ReviewFinder.JobView view = new ReviewFinder.JobView(status.getString("job"), manifest, lfs, specs, classes, files);
    ReviewFinder finder = new ReviewFinder(node.datasets(), node.labels(), node.limits());
    return withBudget("review of job " + view.id(), estimate + (1 << 20),
        allocator -> json(finder.find(query, view, gold, model, allocator)))
        .put("state", progress.getString("state"))
        .put("chunksDone", files.size())
        .put("chunksTotal", progress.getInteger("chunksTotal"))
        .put("lfs", status.getJsonArray("lfs"))
        .put("classes", status.getJsonArray("classes"));
  }

  /** Gold named by a request: a dataset column, or {@code @dev} (the version's dev set), or none. */
  private Gold gold(String name, Manifest manifest, List<String> classes) {
    if (name == null) {
      return null;
    }
    if (name.equals(Gold.DEV)) {
      return Gold.dev(devSets.get(manifest.name(), manifest.version()).gold(classes));
    }
    return Gold.column(new GoldColumn(name, classes, new DerivedColumnStore(node.datasets()).schema(manifest)));
  }

  // ---- search -----------------------------------------------------------------------------------

  private JsonObject search(Message<Object> message, JsonObject request) {
    Manifest manifest = node.datasets().manifest(Caller.dataset(message, RequestFields.string(request, "dataset")),
        RequestFields.optionalVersion(request));
    if (!(request.getValue("lf") instanceof JsonObject lfJson)) {
      throw LabelFlightException.invalid("'lf' must be a keyword or regex LF: {kind, column, keywords | pattern, ...}");
    }
    JsonObject spec = lfJson.copy();
    spec.put("name", spec.getValue("name") instanceof String s && !s.isBlank() ? s : "search");
    List<String> labels = request.getValue("labels") == null ? null : ModelLookup.strings(request.getJsonArray("labels"));
    if (labels == null) {
      spec.remove("label");
    }
    TextSearch.Query query = new TextSearch.Query(LfSpec.parse(jsonNode(spec), 0), labels,
        RequestFields.integer(request, "offset", 0, 0, Long.MAX_VALUE),
        (int) RequestFields.integer(request, "limit", 20, 1, TextSearch.MAX_LIMIT));
    String goldName = RequestFields.optionalString(request, "gold");
    if (goldName != null && labels == null) {
      throw LabelFlightException.invalid("'gold' needs 'labels' (the label space the LF's 'label' belongs to)");
    }
    Gold gold = gold(goldName, manifest, labels);
    long estimate = 0;
    RowSampler sizes = new RowSampler(node.datasets());
    for (Manifest.Chunk chunk : manifest.chunks()) {
      estimate = Math.max(estimate, sizes.memoryEstimate(manifest, List.of(chunk.index())));
    }
    TextSearch search = new TextSearch(node.datasets(), node.compiler(), node.limits());
    return withBudget("search of " + DatasetNames.display(manifest.name()), estimate,
        allocator -> json(search.search(query, manifest, gold, allocator)));
  }

  // ---- dev set ----------------------------------------------------------------------------------

  private JsonObject devSetGet(Message<Object> message, JsonObject request) {
    Manifest manifest = node.datasets().manifest(Caller.dataset(message, RequestFields.string(request, "dataset")),
        RequestFields.optionalVersion(request));
    DevSet dev = devSets.get(manifest.name(), manifest.version());
    JsonObject reply = describe(dev, manifest);
    if (request.getValue("rows") != null) {
      if (!(request.getValue("rows") instanceof JsonArray asked) || asked.size() > MAX_ROWS_ASKED) {
        throw LabelFlightException.invalid("'rows' must be a list of at most " + MAX_ROWS_ASKED + " row ids");
      }
      JsonArray labels = new JsonArray();
      for (Object row : asked) {
        if (!(row instanceof Integer || row instanceof Long)) {
          throw LabelFlightException.invalid("'rows' must hold row ids");
        }
        labels.add(dev.label(((Number) row).longValue()));
      }
      reply.put("labels", labels);
    }
    return reply;
  }

  private JsonObject devSetPut(Message<Object> message, JsonObject request) {
    Manifest manifest = node.datasets().manifest(Caller.dataset(message, RequestFields.string(request, "dataset")),
        (int) RequestFields.integer(request, "version", 0, 1, Integer.MAX_VALUE));
    if (!(request.getValue("labels") instanceof JsonArray pairs)) {
      throw LabelFlightException.invalid("'labels' must be a list of [row, class name or null] pairs");
    }
    Map<Long, String> changes = new LinkedHashMap<>();
    for (int i = 0; i < pairs.size(); i++) {
      if (!(pairs.getValue(i) instanceof JsonArray pair) || pair.size() != 2
          || !(pair.getValue(0) instanceof Integer || pair.getValue(0) instanceof Long)
          || !(pair.getValue(1) == null || pair.getValue(1) instanceof String)) {
        throw LabelFlightException.invalid("'labels' entry " + i + " must be [row, class name or null]");
      }
      changes.put(((Number) pair.getValue(0)).longValue(), pair.getString(1));
    }
    DevSet saved = devSets.label(manifest.name(), manifest.version(), manifest.rows(), changes,
        Caller.of(message) == null ? "anonymous" : Caller.of(message));
    return describe(saved, manifest);
  }

  /** The next row to hand-label from {@code position} on in the shuffled order, with its data; none when all are labelled. */
  private JsonObject devSetNext(Message<Object> message, JsonObject request) {
    Manifest manifest = node.datasets().manifest(Caller.dataset(message, RequestFields.string(request, "dataset")),
        RequestFields.optionalVersion(request));
    long position = RequestFields.integer(request, "position", 0, 0, Long.MAX_VALUE);
    DevSet dev = devSets.get(manifest.name(), manifest.version());
    JsonObject reply = describe(dev, manifest);
    for (long p = position; p < manifest.rows(); p++) {
      long row = RowShuffle.rowAt(p, manifest.rows());
      if (dev.label(row) != null) {
        continue;
      }
      long estimate = new RowSampler(node.datasets()).memoryEstimate(manifest, RowSampler.chunksFor(manifest, row, 1));
      JsonObject page = withBudget("dev set row of " + reply.getString("dataset"), estimate,
          allocator -> json(new RowSampler(node.datasets()).page(manifest, row, 1, allocator)));
      return reply.put("position", p).put("row_id", row).put("fields", page.getJsonArray("fields"))
          .put("row", page.getJsonArray("rows").getJsonObject(0));
    }
    return reply.put("position", manifest.rows()).putNull("row_id");
  }

  private static JsonObject describe(DevSet dev, Manifest manifest) {
    Map<String, Integer> perClass = new TreeMap<>();
    for (String label : dev.labels()) {
      perClass.merge(label, 1, Integer::sum);
    }
    JsonObject counts = new JsonObject();
    perClass.forEach(counts::put);
    return new JsonObject().put("dataset", DatasetNames.display(manifest.name())).put("version", manifest.version())
        .put("rows", manifest.rows()).put("count", dev.size()).put("perClass", counts)
        .put("updated", dev.updated()).put("user", dev.user());
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static int indexOf(List<String> names, String name, String what) {
    int i = names.indexOf(name);
    if (i < 0) {
      throw LabelFlightException.invalid(what + " '" + name + "' is not part of this job (" + names + ")");
    }
    return i;
  }

  /** A class given by name or index; -1 when absent. */
  private static int classIndex(Object value, List<String> classes) {
    if (value == null) {
      return -1;
    }
    if (value instanceof String s) {
      return indexOf(classes, s, "class");
    }
    if (value instanceof Integer i && i >= 0 && i < classes.size()) {
      return i;
    }
    throw LabelFlightException.invalid("'class' must be a class name or index of " + classes);
  }

  /** {@link MemoryAdmission#within}: the work under a reservation of its estimate and an allocator capped at it. */
  private JsonObject withBudget(String holder, long estimate, Function<BufferAllocator, JsonObject> work) {
    return MemoryAdmission.within(node, holder, estimate, work);
  }

  private static JsonNode jsonNode(JsonObject object) {
    try {
      return JSON.readTree(object.encode());
    } catch (java.io.IOException e) {
      throw LabelFlightException.invalid("malformed JSON: " + e.getMessage());
    }
  }

  private static JsonObject json(JsonNode node) {
    return new JsonObject(node.toString());
  }
}
