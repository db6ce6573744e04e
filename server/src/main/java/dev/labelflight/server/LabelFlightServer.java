package dev.labelflight.server;

import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.model.ModelRegistry;
import dev.labelflight.engine.memory.MemoryBudget;
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
import java.util.UUID;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One LabelFlight node: Vert.x, the job coordinator, chunk workers, the Flight endpoint and HTTP. */
public final class LabelFlightServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LabelFlightServer.class);

  private final JsonObject config;
  private final VertxOptions vertxOptions;
  private Vertx vertx;
  private RootAllocator allocator;
  private ModelRegistry models;
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
    vertx = Vertx.vertx(vertxOptions);
    allocator = new RootAllocator();
    Path dataDir = Path.of(config.getString("dataDir", "data")).toAbsolutePath();
    long budgetBytes = budgetBytes(config.getJsonObject("memory", new JsonObject()).getLong("budgetMiB", 0L));
    JsonObject limits = config.getJsonObject("limits", new JsonObject());
    JsonObject workers = config.getJsonObject("workers", new JsonObject());
    int workerCount = workers.getInteger("instances", 0) > 0
        ? workers.getInteger("instances") : Runtime.getRuntime().availableProcessors();
    String nodeId = UUID.randomUUID().toString();
    models = new ModelRegistry(dataDir.resolve(
        config.getJsonObject("models", new JsonObject()).getString("dir", "models")));
    return vertx.executeBlocking(() -> {
      node = new NodeResources(
          nodeId,
          dataDir,
          new DatasetStore(dataDir, config.getJsonObject("store", new JsonObject()).getInteger("chunkRows", 65536)),
          new LabelStore(dataDir),
          new MemoryBudget("node " + nodeId, budgetBytes),
          allocator,
          lfLimits(limits),
          workers.getLong("taskTimeoutMs", 600_000L),
          models);
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
            .put("freeBytes", node.budget().freeBytes()));
  }

  /** LF bounds from the {@code limits} config object; missing entries take the defaults. */
  static LfLimits lfLimits(JsonObject limits) {
    LfLimits d = LfLimits.DEFAULT;
    return new LfLimits(limits.getInteger("maxLfs", d.maxLfs()), limits.getInteger("maxRegexLength", d.maxRegexLength()),
        limits.getInteger("maxKeywordsPerLf", d.maxKeywordsPerLf()),
        limits.getInteger("maxExpressionLength", d.maxExpressionLength()),
        limits.getInteger("maxExpressionDepth", d.maxExpressionDepth()),
        limits.getInteger("maxExpressionNodes", d.maxExpressionNodes()),
        limits.getInteger("comprehensionMaxIterations", d.comprehensionMaxIterations()),
        limits.getLong("expressionChunkDeadlineMs", d.expressionChunkDeadlineMs()));
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

  /** Stops Vert.x (which stops Flight and HTTP), then checks that no Arrow memory is left. */
  @Override
  public void close() throws Exception {
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
    if (models != null) {
      models.close();
    }
    if (allocator != null) {
      allocator.close();
    }
  }
}
