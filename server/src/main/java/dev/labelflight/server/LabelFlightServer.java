package dev.labelflight.server;

import dev.labelflight.cluster.ClusterNode;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.cache.LabelCache;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.flight.FlightEndpointVerticle;
import dev.labelflight.http.HttpVerticle;
import dev.labelflight.verticles.job.JobCoordinator;
import dev.labelflight.verticles.node.NodeResources;
import dev.labelflight.verticles.worker.ChunkWorker;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One LabelFlight node: Vert.x, the job coordinator, chunk workers, the Flight endpoint and HTTP. */
public final class LabelFlightServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LabelFlightServer.class);

  private static final String HOT_CACHE_OWNER = "label cache (recent columns)";

  private final JsonObject config;
  private final VertxOptions vertxOptions;
  private Vertx vertx;
  private ClusterNode cluster;
  private RootAllocator allocator;
  private NodeResources node;
  private FlightEndpointVerticle flight;
  private HttpVerticle http;

  public LabelFlightServer(JsonObject config) {
    this(config, new VertxOptions());
  }

  public LabelFlightServer(JsonObject config, VertxOptions vertxOptions) {
    this.config = config;
    this.vertxOptions = vertxOptions;
  }

  /** Starts everything; completes when Flight and HTTP listen and the demo dataset (if enabled) is stored. */
  public Future<LabelFlightServer> start() {
    Path dataDir = Path.of(config.getString("dataDir", "data")).toAbsolutePath();
    long budgetBytes = budgetBytes(config.getJsonObject("memory", new JsonObject()).getLong("budgetMiB", 0L));
    JsonObject limits = config.getJsonObject("limits", new JsonObject());
    JsonObject workers = config.getJsonObject("workers", new JsonObject());
    JsonObject resident = config.getJsonObject("resident", new JsonObject());
    JsonObject clusterConf = config.getJsonObject("cluster", new JsonObject());
    int workerCount = workers.getInteger("instances", 0) > 0
        ? workers.getInteger("instances") : Runtime.getRuntime().availableProcessors();
    // Hazelcast first (blocking, on the caller's thread): the budget is its semaphore, and a clustered
    // Vert.x needs its cluster manager.
    try {
      List<String> members = clusterConf.getBoolean("enabled", false)
          ? clusterConf.getJsonArray("members", new io.vertx.core.json.JsonArray().add("127.0.0.1")).stream()
              .map(String::valueOf).toList()
          : List.of();
      cluster = ClusterNode.start(clusterConf.getString("name", "labelflight"), clusterConf.getInteger("port", 5701),
          members, budgetBytes);
    } catch (RuntimeException e) {
      return Future.failedFuture(new IllegalStateException("cannot start the memory budget: " + e.getMessage(), e));
    }
    Future<Vertx> started = cluster.clustered()
        ? Vertx.builder().with(vertxOptions).withClusterManager(cluster.clusterManager()).buildClustered()
        : Future.succeededFuture(Vertx.vertx(vertxOptions));
    return started.compose(v -> {
      vertx = v;
      allocator = new RootAllocator();
      return deploy(dataDir, budgetBytes, limits, workers, resident, workerCount);
    });
  }

  private Future<LabelFlightServer> deploy(Path dataDir, long budgetBytes, JsonObject limits, JsonObject workers,
      JsonObject resident, int workerCount) {
    String nodeId = cluster.nodeId();
    return vertx.executeBlocking(() -> {
      DatasetStore datasets =
          new DatasetStore(dataDir, config.getJsonObject("store", new JsonObject()).getInteger("chunkRows", 65536));
      // Heap for recently used label columns, held in the budget for the node's life.
      long hotBytes = Math.min(config.getJsonObject("cache", new JsonObject()).getLong("hotMiB", 64L) << 20,
          budgetBytes / 4);
      if (hotBytes > 0 && !cluster.budget().tryReserve(HOT_CACHE_OWNER, hotBytes)) {
        hotBytes = 0;
      }
      LabelCache cache = new LabelCache(dataDir, hotBytes);
      LfLimits lfLimits = new LfLimits(limits.getInteger("maxLfs", 5000), limits.getInteger("maxRegexLength", 4096),
          limits.getInteger("maxKeywordsPerLf", 100_000));
      int residentThreads = resident.getInteger("threads", 0) > 0
          ? resident.getInteger("threads") : Runtime.getRuntime().availableProcessors();
      node = new NodeResources(
          nodeId,
          dataDir,
          datasets,
          new LabelStore(dataDir, datasets, cache),
          cluster.budget(),
          allocator,
          lfLimits,
          new NodeResources.ExecutionSettings(workers.getLong("taskTimeoutMs", 600_000L),
              config.getJsonObject("memory", new JsonObject()).getDouble("estimateScale", 1.0),
              resident.getLong("idleMs", 600_000L), resident.getBoolean("enabled", true), residentThreads),
          new ChunkLabeler(datasets, cache, new LfCompiler(lfLimits)),
          ConcurrentHashMap.newKeySet());
      seedDemo();
      return node;
    }).compose(n -> vertx.deployVerticle(new JobCoordinator(node,
            config.getJsonObject("jobs", new JsonObject()).getInteger("retained", 1000))))
        .compose(id -> vertx.deployVerticle(() -> new ChunkWorker(node),
            new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setInstances(workerCount)))
        .compose(id -> {
          flight = new FlightEndpointVerticle(node);
          return vertx.deployVerticle(flight, new DeploymentOptions().setConfig(config.getJsonObject("flight")));
        })
        .compose(id -> {
          http = new HttpVerticle(this::healthInfo);
          return vertx.deployVerticle(http, new DeploymentOptions().setConfig(config.getJsonObject("http")));
        })
        .map(id -> {
          LOG.info("LabelFlight node {} ready: Flight grpc://{}:{}, HTTP http://{}:{}, data in {}, budget {} MiB, {} workers",
              nodeId, config.getJsonObject("flight").getString("host"), flightPort(),
              config.getJsonObject("http").getString("host"), httpPort(), dataDir, budgetBytes >> 20, workerCount);
          return this;
        });
  }

  private JsonObject healthInfo() {
    return new JsonObject()
        .put("node", node.nodeId())
        .put("dataDir", node.dataDir().toString())
        .put("memory", new JsonObject()
            .put("budgetBytes", node.budget().maxBytes())
            .put("freeBytes", node.budget().freeBytes()))
        .put("lfChunkEvaluations", node.labeler().lfChunkEvaluations());
  }

  /** With no budget configured: half of the max heap, at least 64 MiB. */
  static long budgetBytes(long configuredMiB) {
    if (configuredMiB > 0) {
      return configuredMiB << 20;
    }
    return Math.max(64L << 20, Runtime.getRuntime().maxMemory() / 2);
  }

  private void seedDemo() {
    JsonObject demo = config.getJsonObject("demo", new JsonObject());
    if (!demo.getBoolean("enabled", false)) {
      return;
    }
    String name = demo.getString("dataset", "reviews");
    if (node.datasets().latestVersion(name).isPresent()) {
      return;
    }
    int rows = demo.getInteger("rows", 200_000);
    ReviewsGenerator generator = new ReviewsGenerator(demo.getLong("seed", 42L));
    try (BufferAllocator demoAllocator = allocator.newChildAllocator("demo", 0, Long.MAX_VALUE);
         DatasetUpload upload = node.datasets().beginUpload(name, ReviewsGenerator.SCHEMA, demoAllocator)) {
      for (int row = 0; row < rows; row += 10_000) {
        try (VectorSchemaRoot batch = generator.batch(row, Math.min(10_000, rows - row), demoAllocator)) {
          upload.append(batch);
        }
      }
      Manifest m = upload.commit();
      LOG.info("demo dataset '{}' v{} stored: {} rows", m.name(), m.version(), m.rows());
    }
  }

  public int flightPort() {
    return flight.port();
  }

  public int httpPort() {
    return http.port();
  }

  public Vertx vertx() {
    return vertx;
  }

  public NodeResources node() {
    return node;
  }

  public ClusterNode cluster() {
    return cluster;
  }

  /** Stops Vert.x (which stops Flight and HTTP), then checks that no Arrow memory is left. */
  @Override
  public void close() throws Exception {
    try {
      if (vertx != null) {
        vertx.close().toCompletionStage().toCompletableFuture().get();
      }
      if (allocator != null) {
        allocator.close();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }
}
