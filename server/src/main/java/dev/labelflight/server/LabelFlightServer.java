package dev.labelflight.server;

import dev.labelflight.cluster.ClusterNode;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.cache.LabelCache;
import dev.labelflight.engine.lf.HeapAllowance;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.devset.DevSetStore;
import dev.labelflight.engine.lfset.LfSetStore;
import dev.labelflight.engine.sizing.BoxLimits;
import dev.labelflight.engine.sizing.NodeSizing;
import dev.labelflight.engine.lf.model.ModelRegistry;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.store.UploadLimits;
import dev.labelflight.flight.FlightEndpointVerticle;
import dev.labelflight.flight.cluster.ChunkReplicas;
import dev.labelflight.flight.cluster.NodeClients;
import dev.labelflight.verticles.node.RemoteDatasets;
import dev.labelflight.http.HttpVerticle;
import dev.labelflight.http.transfer.ExportRoute;
import dev.labelflight.http.transfer.UploadRoute;
import dev.labelflight.verticles.review.ModelLookup;
import dev.labelflight.verticles.review.ReviewVerticle;
import dev.labelflight.server.auth.AuthSettings;
import dev.labelflight.server.offheap.DirectMemoryLimit;
import dev.labelflight.server.offheap.PooledArrowMemory;
import dev.labelflight.verticles.browse.BrowseVerticle;
import dev.labelflight.verticles.derive.DeriveVerticle;
import dev.labelflight.verticles.job.JobCoordinator;
import dev.labelflight.verticles.labelmodel.LabelModelVerticle;
import dev.labelflight.verticles.node.NodeResources;
import dev.labelflight.verticles.worker.ChunkWorker;
import dev.labelflight.server.metrics.NodeMetrics;
import dev.labelflight.verticles.bus.Addresses;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import dev.labelflight.verticles.node.JobTokens;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One LabelFlight node: Vert.x, the job coordinator, chunk workers, label models, the Flight endpoint and HTTP.
 *
 * <p>Over 400 lines because it is the one place that wires a node together from its configuration, in start
 * order, and takes it apart in reverse order on shutdown; each part it starts lives in its own package.
 */
public final class LabelFlightServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LabelFlightServer.class);

  private static final String HOT_CACHE_HOLDER = "label cache (recent columns)";
  private static final long ANNOUNCE_MS = 2_000;
  private static final long CLOSE_WAIT_MS = 15_000;

  private final JsonObject config;
  private final VertxOptions vertxOptions;
  private Vertx vertx;
  private ClusterNode cluster;
  private RootAllocator allocator;
  private ModelRegistry models;
  private dev.labelflight.pyworkers.PythonWorkerPool python;
  private NodeResources node;
  private LfSetStore lfSets;
  private DevSetStore devSets;
  private FlightEndpointVerticle flight;
  private NodeClients clients;
  private String flightUri;
  private String nodeSecret;
  private volatile io.vertx.core.json.JsonArray clusterView = new io.vertx.core.json.JsonArray();
  private HttpVerticle http;
  private NodeSizing sizing;
  private final NodeMetrics metrics = new NodeMetrics();
  /** The label cache's heap layer, held in the budget for the node's life. */
  private dev.labelflight.engine.memory.Reservation hotCache;
  private LabelCache labelCache;
  private AuthSettings auth;
  private boolean closed;

  public LabelFlightServer(JsonObject config) {
    this(config, new VertxOptions());
  }

  public LabelFlightServer(JsonObject config, VertxOptions vertxOptions) {
    this.config = config;
    this.vertxOptions = vertxOptions;
  }

  /** Starts everything; completes when Flight and HTTP listen and the demo dataset (if enabled) is stored. */
  public Future<LabelFlightServer> start() {
    try {
      auth = AuthSettings.from(config.getJsonObject("auth", new JsonObject()),
          Path.of(config.getString("dataDir", "data")).toAbsolutePath());
    } catch (RuntimeException e) {
      return Future.failedFuture(new IllegalArgumentException("invalid auth configuration: " + e.getMessage(), e));
    }
    Path dataDir = Path.of(config.getString("dataDir", "data")).toAbsolutePath();
    JsonObject limits = config.getJsonObject("limits", new JsonObject());
    JsonObject workers = config.getJsonObject("workers", new JsonObject());
    try {
      sizing = NodeSizing.derive(config.getJsonObject("memory", new JsonObject()).getLong("budgetMiB", 0L),
          workers.getInteger("instances", 0), BoxLimits.detect(), physicalMemory(), Runtime.getRuntime().maxMemory(),
          DirectMemoryLimit.bytes(), Runtime.getRuntime().availableProcessors());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new IllegalStateException("memory: " + e.getMessage(), e));
    }
    LOG.info("sizing: budget {} MiB, {} workers ({})", sizing.budgetBytes() >> 20, sizing.workers(), sizing.derivation());
    if (sizing.derivation().containsKey("budgetClamped")) {
      LOG.warn("memory budget clamped: {}", sizing.derivation().get("budgetClamped"));
    }
    long budgetBytes = sizing.budgetBytes();
    int workerCount = sizing.workers();
    JsonObject resident = config.getJsonObject("resident", new JsonObject());
    JsonObject clusterConf = config.getJsonObject("cluster", new JsonObject());
    // Hazelcast first (blocking, on the caller's thread): the budget's pool lives there, and a clustered
    // Vert.x needs its cluster manager.
    boolean clustered = clusterConf.getBoolean("enabled", false);
    dev.labelflight.cluster.ClusterSecret secret;
    try {
      secret = clusterSecret(clusterConf, clustered);
    } catch (RuntimeException e) {
      return Future.failedFuture(new IllegalArgumentException("invalid cluster configuration: " + e.getMessage(), e));
    }
    try {
      List<String> members = clustered
          ? clusterConf.getJsonArray("members", new io.vertx.core.json.JsonArray().add("127.0.0.1")).stream()
              .map(String::valueOf).toList()
          : List.of();
      cluster = ClusterNode.start(clusterConf.getString("name", "labelflight"), secret,
          clusterConf.getInteger("port", 5701), members, budgetBytes);
    } catch (RuntimeException e) {
      return Future.failedFuture(new IllegalStateException("cannot start the memory budget: " + e.getMessage(), e));
    }
    // Nodes call each other with a credential derived from the cluster's secret (authentication on, clustered).
    nodeSecret = auth.users().enabled() && cluster.clustered() ? cluster.nodeCredential() : null;
    // The event bus between nodes listens on loopback only, like Hazelcast (Vert.x would otherwise pick the
    // first non-loopback interface).
    vertxOptions.getEventBusOptions().setHost(dev.labelflight.cluster.LoopbackHazelcastConfig.LOOPBACK)
        .setClusterPublicHost(dev.labelflight.cluster.LoopbackHazelcastConfig.LOOPBACK);
    Future<Vertx> started = cluster.clustered()
        ? metrics.vertxBuilder(vertxOptions).withClusterManager(cluster.clusterManager()).buildClustered()
            .onSuccess(cluster::guard)
        : Future.succeededFuture(metrics.vertxBuilder(vertxOptions).build());
    return started.compose(v -> {
      vertx = v;
      // Every Arrow buffer of the node comes from the process's pool, at most the budget plus half the transport
      // reserve in all (see PooledArrowMemory and NodeSizing.arrowLimitBytes).
      allocator = PooledArrowMemory.shared().rootAllocator(sizing.arrowLimitBytes());
      return deploy(dataDir, budgetBytes, limits, workers, resident, workerCount);
    });
  }

  private Future<LabelFlightServer> deploy(Path dataDir, long budgetBytes, JsonObject limits, JsonObject workers,
      JsonObject resident, int workerCount) {
    String nodeId = cluster.nodeId();
    models = new ModelRegistry(dataDir.resolve(
        config.getJsonObject("models", new JsonObject()).getString("dir", "models")));
    String cert = config.getJsonObject("tls", new JsonObject()).getString("certFile", "");
    clients = new NodeClients(allocator, nodeSecret, cert.isEmpty() ? null : Path.of(cert));
    return vertx.executeBlocking(() -> {
      DatasetStore datasets = new DatasetStore(dataDir,
          config.getJsonObject("store", new JsonObject()).getInteger("chunkRows", 65536), uploadLimits(limits));
      // Heap for recently used label columns, held in the budget for the node's life.
      long hotBytes = Math.min(config.getJsonObject("cache", new JsonObject()).getLong("hotMiB", 64L) << 20,
          budgetBytes / 4);
      hotCache = cluster.memoryPool().newReservation(HOT_CACHE_HOLDER);
      if (hotBytes > 0 && !hotCache.trySetBytes(hotBytes)) {
        hotBytes = 0;
      }
      // A quarter of it lets a resident job's new columns go to disk behind it (LabelCache.writeBehind).
      LabelCache cache = new LabelCache(dataDir, hotBytes, allocator);
      labelCache = cache;
      LfLimits lfLimits = lfLimits(limits);
      int residentThreads = resident.getInteger("threads", 0) > 0
          ? resident.getInteger("threads") : Runtime.getRuntime().availableProcessors();
      node = new NodeResources(
          nodeId,
          dataDir,
          datasets,
          new LabelStore(dataDir, datasets, cache),
          cluster.memoryPool(),
          allocator,
          lfLimits,
          new NodeResources.ExecutionSettings(workers.getLong("taskTimeoutMs", 600_000L),
              config.getJsonObject("memory", new JsonObject()).getDouble("estimateScale", 1.0),
              resident.getLong("idleMs", 600_000L), resident.getBoolean("enabled", true), residentThreads,
              HeapAllowance.ofMaxHeap(resident.getDouble("heapFraction", 0.4)),
              config.getJsonObject("memory", new JsonObject()).getLong("waitMs",
                  NodeResources.ExecutionSettings.DEFAULT_MEMORY_WAIT_MS),
              resident.getLong("admissionWaitMs", NodeResources.ExecutionSettings.DEFAULT_ADMISSION_WAIT_MS)),
          new ChunkLabeler(datasets, cache, new LfCompiler(lfLimits, models, python = pythonWorkers(dataDir))),
          new JobTokens(),
          models,
          cluster.directory(),
          cluster.clustered() ? new ChunkReplicas(dataDir, clients) : RemoteDatasets.NONE);
      lfSets = new LfSetStore(dataDir);
      devSets = new DevSetStore(dataDir);
      seedDemo();
      return node;
    }).compose(n -> vertx.deployVerticle(new JobCoordinator(node, metrics::chunkEvaluated),
            new DeploymentOptions().setConfig(config.getJsonObject("jobs", new JsonObject()))))
        .compose(id -> vertx.deployVerticle(() -> new ChunkWorker(node),
            new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setInstances(workerCount)))
        .compose(id -> vertx.deployVerticle(() -> new BrowseVerticle(node, lfSets, 30_000),
            new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setInstances(2)))
        .compose(id -> vertx.deployVerticle(() -> new ReviewVerticle(node, devSets,
                new ModelLookup(vertx, config.getJsonObject("flight").getLong("callTimeoutMs", 60_000L)), 30_000),
            new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setInstances(2)))
        .compose(id -> vertx.deployVerticle(() -> new DeriveVerticle(node),
            new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)))
        .compose(id -> {
          JsonObject models = config.getJsonObject("labelModels", new JsonObject());
          long timeoutMs = config.getJsonObject("flight").getLong("callTimeoutMs", 60_000L);
          return vertx.deployVerticle(() -> new LabelModelVerticle(node, timeoutMs),
              new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setConfig(models)
                  .setInstances(models.getInteger("instances", 2)));
        })
        .compose(id -> {
          flight = new FlightEndpointVerticle(node, auth.users(), clients);
          return vertx.deployVerticle(flight, new DeploymentOptions().setConfig(withTls(config.getJsonObject("flight"))));
        })
        .compose(id -> vertx.executeBlocking(() -> {
          joinDirectory();
          return null;
        }))
        .onSuccess(v -> announcePeriodically())
        .compose(id -> {
          metrics.bind(vertx, node, flight.traffic());
          metrics.bindAuth(auth.users());
          JsonObject httpConf = config.getJsonObject("http");
          UploadRoute.Settings upload = UploadRoute.Settings.from(httpConf.getJsonObject("upload", new JsonObject()));
          http = new HttpVerticle(this::healthInfo, this::readiness, metrics::scrape, auth.users(), List.of(
              new UploadRoute(node, upload, uploadPlacement()),
              new ExportRoute(node, devSets, httpConf.getLong("replyTimeoutMs", 60_000L), upload.budgetWaitMs())));
          return vertx.deployVerticle(http, new DeploymentOptions().setConfig(withTls(config.getJsonObject("http"))));
        })
        .map(id -> {
          LOG.info("LabelFlight node {} ready: Flight {}://{}:{}, HTTP {}://{}:{}, data in {}, budget {} MiB, {} workers",
              nodeId, tls() ? "grpc+tls" : "grpc", config.getJsonObject("flight").getString("host"), flightPort(),
              tls() ? "https" : "http", config.getJsonObject("http").getString("host"), httpPort(), dataDir, budgetBytes >> 20, workerCount);
          return this;
        });
  }

  /**
   * Blocking: publishes this node's Flight endpoint and owns its datasets (again, after a restart); a
   * name another live node owns stays theirs, and the local copy is not served.
   */
  private void joinDirectory() {
    flightUri = (tls() ? "grpc+tls://" : "grpc://") + config.getJsonObject("flight").getString("host", "127.0.0.1")
        + ":" + flightPort();
    announce(new JsonObject());
    for (String name : node.datasets().names()) {
      String owner = cluster.directory().claim(name);
      if (!cluster.directory().isLocal(owner)) {
        LOG.warn("dataset {} is stored here but owned by node {}: requests for it go there", name, owner);
      }
    }
  }

  /** Where browser uploads may store a dataset: a name another node of the cluster owns stays there. Blocking. */
  private UploadRoute.Placement uploadPlacement() {
    if (!cluster.clustered()) {
      return UploadRoute.Placement.LOCAL;
    }
    return new UploadRoute.Placement() {
      @Override
      public java.util.Optional<String> claim(String dataset) {
        String owner = cluster.directory().claim(dataset);
        return cluster.directory().isLocal(owner) ? java.util.Optional.empty() : java.util.Optional.of(owner);
      }

      @Override
      public void release(String dataset) {
        cluster.directory().release(dataset);
      }
    };
  }

  /** Blocking: tells the cluster this node's room and load, and refreshes this node's view of the others. */
  private void announce(JsonObject stats) {
    java.util.Map<String, Object> facts = new java.util.LinkedHashMap<>();
    facts.put("budgetBytes", node.memoryPool().maxBytes());
    facts.put("freeBytes", node.memoryPool().freeBytes());
    facts.put("workers", sizing.workers());
    facts.put("residents", stats.getInteger("residents", 0));
    facts.put("residentBytes", stats.getLong("residentBytes", 0L));
    facts.put("residentKeys", stats.getJsonArray("residentKeys", new io.vertx.core.json.JsonArray()).getList());
    facts.put("tasksRunning", stats.getInteger("inFlight", 0));
    cluster.directory().announce(flightUri, facts);
    clusterView = new io.vertx.core.json.JsonArray(cluster.directory().nodes().stream()
        .map(n -> new JsonObject(new java.util.LinkedHashMap<>(n.facts())).put("node", n.nodeId()).put("flight", n.flight()))
        .toList());
  }

  /** Every couple of seconds: this node's facts out to the directory (off the event loop). */
  private void announcePeriodically() {
    vertx.setPeriodic(ANNOUNCE_MS, t -> vertx.eventBus()
        .<JsonObject>request(Addresses.NODE_STATS, new JsonObject(), dev.labelflight.verticles.bus.LocalDelivery.options())
        .compose(stats -> vertx.executeBlocking(() -> {
          announce(stats.body());
          return null;
        }, false))
        .onFailure(e -> LOG.debug("node facts not published: {}", e.toString())));
  }

  /** A listener's config with the node's {@code tls} section added. */
  private JsonObject withTls(JsonObject listener) {
    return listener.copy().put("tls", config.getJsonObject("tls", new JsonObject()));
  }

  /**
   * The secret of a clustered node ({@code cluster.secretFile}, else {@code cluster.secret}; required), or
   * a random one for a standalone node.
   */
  private static dev.labelflight.cluster.ClusterSecret clusterSecret(JsonObject cluster, boolean clustered) {
    java.util.Optional<dev.labelflight.cluster.ClusterSecret> configured = dev.labelflight.cluster.ClusterSecret
        .configured(cluster.getString("secret", ""), cluster.getString("secretFile", ""));
    if (clustered && configured.isEmpty()) {
      throw new IllegalArgumentException("a clustered node needs the cluster's secret: set cluster.secretFile to a file"
          + " holding it (e.g. a mounted Kubernetes Secret; LABELFLIGHT_CLUSTER_SECRETFILE) or cluster.secret"
          + " (LABELFLIGHT_CLUSTER_SECRET), the same on every node, at least "
          + dev.labelflight.cluster.ClusterSecret.MIN_LENGTH + " characters (openssl rand -base64 32)");
    }
    return clustered ? configured.get() : dev.labelflight.cluster.ClusterSecret.random();
  }

  /** Whether Flight and HTTP use TLS (a certificate and key are configured). */
  public boolean tls() {
    return !config.getJsonObject("tls", new JsonObject()).getString("certFile", "").isEmpty();
  }

  /** Users and the dev user (name and token, null unless {@code auth.devUser.enabled}). */
  public AuthSettings auth() {
    return auth;
  }

  /**
   * {@code /health}'s details for a caller with a user's token: this node and the cluster as it sees it,
   * without the data directory or the resident datasets' stored names (which name their owners).
   */
  private JsonObject healthInfo() {
    io.vertx.core.json.JsonArray nodes = new io.vertx.core.json.JsonArray();
    for (Object n : clusterView) {
      JsonObject copy = ((JsonObject) n).copy();
      copy.remove("residentKeys");
      nodes.add(copy);
    }
    return new JsonObject()
        .put("node", node.nodeId())
        .put("cluster", new JsonObject()
            .put("clustered", cluster.clustered())
            .put("members", cluster.members())
            .put("nodes", nodes))
        .put("memory", new JsonObject()
            .put("budgetBytes", node.memoryPool().maxBytes())
            .put("freeBytes", node.memoryPool().freeBytes()))
        .put("sizing", new JsonObject()
            .put("budgetBytes", sizing.budgetBytes())
            .put("workers", sizing.workers())
            .put("derivation", new JsonObject(new java.util.LinkedHashMap<>(sizing.derivation()))))
        .put("lfChunkEvaluations", node.labeler().lfChunkEvaluations());
  }

  /** LF bounds from the {@code limits} config object; missing entries take the defaults. */
  static LfLimits lfLimits(JsonObject limits) {
    return LfLimits.fromConfig(limits.getMap());
  }

  /** Upload bounds from the {@code limits} config object; a missing entry means unbounded. */
  static UploadLimits uploadLimits(JsonObject limits) {
    return new UploadLimits(limits.getLong("maxBatchBytes", Long.MAX_VALUE), limits.getLong("maxValueBytes", Long.MAX_VALUE));
  }

  /** Blocking: the data directory must take a write, and the budget must exist. */
  private JsonObject readiness() {
    JsonObject checks = new JsonObject();
    boolean writable;
    try {
      java.nio.file.Path probe = java.nio.file.Files.createTempFile(node.dataDir(), ".ready-", ".probe");
      java.nio.file.Files.delete(probe);
      writable = true;
    } catch (java.io.IOException | RuntimeException e) {
      writable = false;
      checks.put("dataDirError", e.toString());
    }
    checks.put("dataDirWritable", writable);
    checks.put("budgetAcquired", node.memoryPool().maxBytes() > 0);
    return new JsonObject().put("ready", writable && node.memoryPool().maxBytes() > 0).put("checks", checks);
  }

  private static long physicalMemory() {
    var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean bean) {
      return bean.getTotalMemorySize();
    }
    return Runtime.getRuntime().maxMemory() * 4;
  }

  private void seedDemo() {
    JsonObject demo = config.getJsonObject("demo", new JsonObject());
    if (!demo.getBoolean("enabled", false)) {
      return;
    }
    // With authentication the demo dataset belongs to the dev user (auth.devUser.name).
    String name = DatasetNames.qualify(AuthSettings.demoOwner(config.getJsonObject("auth", new JsonObject())),
        demo.getString("dataset", "reviews"));
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

  /** The Flight endpoint (its streams, its traffic). */
  public FlightEndpointVerticle flight() {
    return flight;
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

  /**
   * Graceful shutdown: refuses new uploads and applies (UNAVAILABLE "shutting down"), hands out no more
   * chunk tasks, waits up to {@code timeoutMs} for the running ones (their label-cache files are written
   * whole by then), then cancels what still runs (its jobs fail, saying the node shut down; the chunks stop
   * at their next cancellation check) and {@link #close}s. Unfinished chunks stay uncomputed; re-applying
   * the job later computes only those.
   */
  public void shutdown(long timeoutMs) throws Exception {
    long start = System.currentTimeMillis();
    if (vertx != null && flight != null) {
      LOG.info("shutting down: refusing new work, waiting up to {} ms for running chunk tasks", timeoutMs);
      try {
        drain(timeoutMs);
        LOG.info("running chunk tasks finished after {} ms", System.currentTimeMillis() - start);
      } catch (Exception e) {
        LOG.warn("chunk tasks still running after {} ms ({}); closing anyway", timeoutMs, e.toString());
      }
    }
    close();
    LOG.info("shutdown complete after {} ms", System.currentTimeMillis() - start);
  }

  /**
   * Refuses new uploads and applies from now on and waits until no chunk task runs; after {@code timeoutMs}
   * the coordinator cancels what still runs and answers once it stopped (at most {@code jobs.stopWaitMs}).
   */
  void drain(long timeoutMs) throws Exception {
    flight.refuseNewWork();
    long stopWaitMs = config.getJsonObject("jobs", new JsonObject()).getLong("stopWaitMs",
        dev.labelflight.verticles.job.JobRegistry.Settings.DEFAULT_STOP_WAIT_MS);
    long bound = timeoutMs + stopWaitMs + 2_000;
    vertx.eventBus().request(Addresses.DRAIN, new JsonObject().put("drainMs", timeoutMs),
            dev.labelflight.verticles.bus.LocalDelivery.timeout(bound))
        .toCompletionStage().toCompletableFuture().get(bound + 1_000, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** The node's Python worker pool when {@code python.enabled} (python LFs), else null: they then fail clearly. */
  private dev.labelflight.pyworkers.PythonWorkerPool pythonWorkers(Path dataDir) throws java.io.IOException {
    var conf = dev.labelflight.pyworkers.PythonWorkersConfig.fromJson(
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(config.getJsonObject("python", new JsonObject()).encode()),
        dataDir);
    // A user may run Python LFs when python.users names them or their account has the python permission.
    return conf.enabled() ? dev.labelflight.pyworkers.PythonWorkerPool.start(conf,
        cluster.memoryPool(), allocator).grant(user -> auth.users().permits(user,
            dev.labelflight.engine.auth.Permission.PYTHON)) : null;
  }

  /**
   * Stops Vert.x (which stops Flight and HTTP, and residents give their permits back), frees the label
   * cache's reservation, then checks that no Arrow memory is left. Idempotent.
   */
  @Override
  public synchronized void close() throws Exception {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (vertx != null) {
        try {
          // Bounded: a worker still inside an evaluation that ignores cancellation must not hold the exit.
          vertx.close().toCompletionStage().toCompletableFuture().get(CLOSE_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          LOG.warn("Vert.x did not stop within {} ms; closing the rest anyway", CLOSE_WAIT_MS);
        }
      }
      if (models != null) {
        models.close();
      }
      if (python != null) {
        python.close(); // kills every Python worker and gives their memory back
      }
      if (clients != null) {
        clients.close();
      }
      if (labelCache != null) {
        labelCache.close(); // the last columns written behind reach the disk
      }
      if (hotCache != null) {
        hotCache.close();
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
