package dev.labelflight.verticles.browse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.labelflight.engine.browse.DatasetCatalog;
import dev.labelflight.engine.browse.ExampleFinder;
import dev.labelflight.engine.browse.LabelCoverage;
import dev.labelflight.engine.browse.RowSampler;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lfset.LfSetStore;
import dev.labelflight.engine.store.AtomicFiles;
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
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import dev.labelflight.engine.memory.footprint.BrowseFootprint;
import dev.labelflight.verticles.node.MemoryAdmission;

/**
 * A worker verticle (deploy with {@code ThreadingModel.WORKER}) answering the browser's read and save
 * requests: dataset list, row pages, LF sets (versions, history; shared with the Python client's Flight
 * actions) and example rows of a job. Handlers block on disk, which
 * is why this runs on worker threads; the logic lives in the engine.
 */
public final class BrowseVerticle extends VerticleBase {
  private final NodeResources node;
  private final LfSetStore lfSets;
  private final long requestTimeoutMs;

  /** {@code lfSets} is where this node keeps LF sets; {@code requestTimeoutMs} bounds the job lookup for examples. */
  public BrowseVerticle(NodeResources node, LfSetStore lfSets, long requestTimeoutMs) {
    this.node = node;
    this.lfSets = lfSets;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  @Override
  public Future<?> start() {
    var bus = vertx.eventBus();
    return Future.all(List.of(
        bus.localConsumer(Addresses.DATASETS,
            m -> answer(m, () -> json(new DatasetCatalog(node.datasets()).list(Caller.of(m))))).completion(),
        bus.localConsumer(Addresses.SAMPLE, m -> answer(m, () -> sample(m, body(m)))).completion(),
        bus.localConsumer(Addresses.LFSETS_GET, m -> answer(m, () -> getLfSet(m, body(m)))).completion(),
        bus.localConsumer(Addresses.LFSETS_PUT, m -> answer(m, () -> putLfSet(m, body(m)))).completion(),
        bus.localConsumer(Addresses.LFSETS_HISTORY, m -> answer(m, () -> lfSetHistory(m, body(m)))).completion(),
        bus.localConsumer(Addresses.EXAMPLES, m -> onJobRequest(m, this::examplesQuery, this::examples)).completion(),
        bus.localConsumer(Addresses.COVERAGE, m -> onJobRequest(m, this::coverageQuery, this::coverage)).completion()));
  }

  private static void answer(Message<Object> message, Callable<JsonObject> work) {
    try {
      message.reply(work.call());
    } catch (Throwable t) {
      BusErrors.fail(message, t);
    }
  }

  private JsonObject sample(Message<Object> message, JsonObject request) {
    Manifest manifest = node.datasets().manifest(Caller.dataset(message, dataset(request)), integer(request, "version", null));
    long offset = integer(request, "offset", 0);
    int limit = integer(request, "limit", 50);
    RowSampler.validate(offset, limit);
    long estimate = new RowSampler(node.datasets()).memoryEstimate(manifest, RowSampler.chunksFor(manifest, offset, limit));
    return withBudget("sample of " + manifest.name(), estimate,
        allocator -> json(new RowSampler(node.datasets()).page(manifest, offset, limit, allocator)));
  }

  /** {@code {"dataset", "version"?}}: the current set, or an earlier version from its history. */
  private JsonObject getLfSet(Message<Object> message, JsonObject request) {
    String dataset = dataset(request);
    String stored = Caller.dataset(message, dataset);
    Integer version = integer(request, "version", null);
    var set = version == null ? lfSets.get(stored) : lfSets.get(stored, version);
    return new JsonObject().put("dataset", dataset).put("set", set.map(BrowseVerticle::json).orElse(null));
  }

  /**
   * {@code {"dataset", "set", "baseVersion"?, "source"?}}: saves the next version as the caller, refusing
   * (409) when {@code baseVersion} is given and another save came in since.
   */
  private JsonObject putLfSet(Message<Object> message, JsonObject request) {
    String dataset = dataset(request);
    String stored = Caller.dataset(message, dataset);
    Object set = request.getValue("set");
    String text = set instanceof JsonObject o ? o.encode() : set instanceof String s ? s : null;
    if (set != null && text == null) {
      throw LabelFlightException.invalid("'set' must be a JSON object");
    }
    Object source = request.getValue("source");
    if (source != null && !(source instanceof String)) {
      throw LabelFlightException.invalid("'source' must be a string");
    }
    LfSetStore.Author author = new LfSetStore.Author(Caller.of(message), source == null ? "api" : (String) source);
    return new JsonObject().put("dataset", dataset)
        .put("set", json(lfSets.put(stored, text, author, integer(request, "baseVersion", null))));
  }

  /** {@code {"dataset", "limit"?}} (default 50): the newest versions, newest first, without their LFs. */
  private JsonObject lfSetHistory(Message<Object> message, JsonObject request) {
    String dataset = dataset(request);
    int limit = integer(request, "limit", 50);
    if (limit < 1 || limit > LfSetStore.MAX_HISTORY) {
      throw LabelFlightException.invalid("'limit' must be between 1 and " + LfSetStore.MAX_HISTORY);
    }
    return new JsonObject().put("dataset", dataset)
        .put("versions", new JsonArray(lfSets.history(Caller.dataset(message, dataset), limit).toString()));
  }

  /** A job's finished label chunks as the coordinator reports them. */
  private record JobChunks(JsonObject progress, Manifest manifest, List<String> lfNames,
      List<AtomicFiles.Written> files, long largestChunkBytes) {}

  /**
   * Parses the request, asks the coordinator for the job's finished label chunks, then runs {@code work}
   * here on the worker; any failure becomes the message's failure reply.
   */
  private <Q> void onJobRequest(Message<Object> message, Function<JsonObject, Q> parse,
      BiFunction<Q, JobChunks, JsonObject> work) {
    JsonObject request;
    Q query;
    try {
      request = body(message);
      query = parse.apply(request);
    } catch (RuntimeException e) {
      BusErrors.fail(message, e);
      return;
    }
    vertx.eventBus().<JsonObject>request(Addresses.AWAIT_PROGRESS,
            new JsonObject().put("job", request.getValue("job")).put("after", -1),
            Caller.stamp(new DeliveryOptions().setSendTimeout(requestTimeoutMs).setLocalOnly(true), Caller.of(message)))
        .onFailure(e -> BusErrors.fail(message, e))
        .onSuccess(reply -> answer(message, () -> work.apply(query, jobChunks(reply.body()))
            .put("state", reply.body().getString("state"))
            .put("chunksDone", reply.body().getJsonArray("files").size())
            .put("chunksTotal", reply.body().getInteger("chunksTotal"))));
  }

  private JobChunks jobChunks(JsonObject progress) {
    Manifest manifest = node.datasets().manifest(progress.getString("datasetKey"), progress.getInteger("version"));
    List<String> lfNames = progress.getJsonArray("lfs").stream().map(String.class::cast).toList();
    List<AtomicFiles.Written> files = new ArrayList<>();
    long largest = 0;
    JsonArray done = progress.getJsonArray("files");
    for (int i = 0; i < done.size(); i++) {
      JsonObject f = done.getJsonObject(i);
      files.add(new AtomicFiles.Written(f.getLong("bytes"), f.getLong("crc32c")));
      largest = Math.max(largest, f.getLong("bytes") + manifest.chunk(i).bytes());
    }
    return new JobChunks(progress, manifest, lfNames, files, largest);
  }

  private ExampleFinder.Query examplesQuery(JsonObject request) {
    return new ExampleFinder.Query(string(request, "job"), string(request, "lf"),
        request.getValue("other") == null ? null : string(request, "other"), integer(request, "limit", 20));
  }

  private JsonObject examples(ExampleFinder.Query query, JobChunks job) {
    ExampleFinder finder = new ExampleFinder(node.datasets(), node.labels());
    return withBudget("examples of job " + query.job(), BrowseFootprint.labelScan(job.largestChunkBytes()),
        allocator -> json(finder.find(query, job.manifest(), job.lfNames(), job.files(), allocator)));
  }

  private record CoverageQuery(String job, int classes) {}

  private CoverageQuery coverageQuery(JsonObject request) {
    String job = string(request, "job");
    Integer classes = integer(request, "classes", null);
    if (classes == null || classes < 1 || classes > LabelCoverage.MAX_CLASSES) {
      throw LabelFlightException.invalid("'classes' must be between 1 and " + LabelCoverage.MAX_CLASSES);
    }
    return new CoverageQuery(job, classes);
  }

  private JsonObject coverage(CoverageQuery query, JobChunks job) {
    return withBudget("coverage of job " + query.job(), BrowseFootprint.labelScan(job.largestChunkBytes()),
        allocator -> json(new LabelCoverage(node.labels())
            .count(query.job(), job.lfNames().size(), query.classes(), job.files(), allocator)));
  }

  /** {@link MemoryAdmission#within}: the work under a reservation of its estimate and an allocator capped at it. */
  private JsonObject withBudget(String holder, long estimate, Function<BufferAllocator, JsonObject> work) {
    return MemoryAdmission.within(node, holder, estimate, work);
  }

  private static JsonObject body(Message<Object> message) {
    Object body = message.body();
    if (body instanceof JsonObject o) {
      return o;
    }
    if (body instanceof String s) {
      try {
        return new JsonObject(s);
      } catch (RuntimeException e) {
        throw LabelFlightException.invalid("request body is not a JSON object: " + e.getMessage());
      }
    }
    if (body == null) {
      return new JsonObject();
    }
    throw LabelFlightException.invalid("request body must be a JSON object");
  }

  private static String dataset(JsonObject request) {
    return string(request, "dataset");
  }

  private static String string(JsonObject request, String field) {
    Object v = request.getValue(field);
    if (!(v instanceof String s) || s.isEmpty()) {
      throw LabelFlightException.invalid("'" + field + "' must be a non-empty string");
    }
    return s;
  }

  private static Integer integer(JsonObject request, String field, Integer fallback) {
    Object v = request.getValue(field);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() != ((Number) v).intValue()) {
      throw LabelFlightException.invalid("'" + field + "' must be an integer");
    }
    return ((Number) v).intValue();
  }

  private static JsonObject json(JsonNode node) {
    return new JsonObject(node.toString());
  }
}
