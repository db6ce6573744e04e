package dev.labelflight.flight;

import dev.labelflight.engine.auth.SecretHash;
import dev.labelflight.engine.auth.UserDirectory;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.memory.LocalMemoryPool;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.UploadLimits;
import dev.labelflight.flight.auth.BearerToken;
import dev.labelflight.flight.cluster.NodeClients;
import dev.labelflight.verticles.derive.DeriveVerticle;
import dev.labelflight.verticles.job.JobCoordinator;
import dev.labelflight.verticles.labelmodel.LabelModelVerticle;
import dev.labelflight.verticles.node.NodeResources;
import dev.labelflight.verticles.worker.ChunkWorker;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightCallHeaders;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.HeaderCallOption;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

/**
 * One real node for the endpoint's tests: a standalone Vert.x with the job coordinator, two chunk
 * workers, the label-model and derive verticles, over real stores in a temp directory, and the Flight
 * endpoint on an ephemeral loopback port with authentication on (users {@link #ALICE} and {@link #BOB}, and
 * a node credential). The node's allocator is its own: {@link #close()} fails if anything was leaked.
 */
final class FlightNode implements AutoCloseable {
  static final String ALICE = "alice";
  static final String ALICE_TOKEN = "token-alice-0123456789";
  static final String BOB = "bob";
  static final String BOB_TOKEN = "token-bob-9876543210";
  static final String NODE_SECRET = "node-secret-for-tests";

  final Vertx vertx;
  final RootAllocator allocator;
  final NodeResources node;
  final NodeClients clients;
  final FlightEndpointVerticle endpoint;

  /** A node with chunks of {@code chunkRows}, default limits and {@code flight} config overrides. */
  FlightNode(Path dataDir, int chunkRows, JsonObject flight) throws Exception {
    this(dataDir, chunkRows, flight, UploadLimits.NONE);
  }

  FlightNode(Path dataDir, int chunkRows, JsonObject flight, UploadLimits limits) throws Exception {
    this(dataDir, chunkRows, flight, limits, 1L << 30);
  }

  /** A node whose Arrow memory is limited to {@code allocatorLimit} bytes. */
  FlightNode(Path dataDir, int chunkRows, JsonObject flight, UploadLimits limits, long allocatorLimit) throws Exception {
    allocator = new RootAllocator(allocatorLimit);
    vertx = Vertx.vertx();
    try {
      node = NodeResources.standalone("node-1", dataDir, new DatasetStore(dataDir, chunkRows, limits),
          new LocalMemoryPool("node-1", 128L << 20), allocator, new LfLimits(100, 1000, 1000), 60_000);
      clients = new NodeClients(allocator, NODE_SECRET, null);
      await(vertx.deployVerticle(new JobCoordinator(node)));
      await(vertx.deployVerticle(() -> new ChunkWorker(node),
          new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setInstances(2)));
      await(vertx.deployVerticle(() -> new LabelModelVerticle(node, 30_000),
          new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
      await(vertx.deployVerticle(() -> new DeriveVerticle(node),
          new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
      UserDirectory users = new UserDirectory(true, Map.of(
          ALICE, SecretHash.hash(ALICE_TOKEN, 1_000), BOB, SecretHash.hash(BOB_TOKEN, 1_000)));
      endpoint = new FlightEndpointVerticle(node, users, clients);
      JsonObject config = new JsonObject().put("host", "127.0.0.1").put("port", 0).put("callTimeoutMs", 30_000)
          .mergeIn(flight, true);
      await(vertx.deployVerticle(endpoint, new DeploymentOptions().setConfig(config)));
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  Location location() {
    return Location.forGrpcInsecure("127.0.0.1", endpoint.port());
  }

  /** A client acting as the user of {@code token}. */
  FlightClient client(BufferAllocator clientAllocator, String token) {
    return FlightClient.builder(clientAllocator, location()).intercept(new BearerToken(token)).build();
  }

  /** Headers of another node's own call (the node credential, no user). */
  static HeaderCallOption asNode() {
    FlightCallHeaders headers = new FlightCallHeaders();
    headers.insert(NodeClients.NODE_HEADER, NODE_SECRET);
    return new HeaderCallOption(headers);
  }

  /** Who holds the node's Arrow memory: each allocator with memory, by name. */
  String holders() {
    StringBuilder out = new StringBuilder();
    holders(allocator, "", out);
    return out.toString();
  }

  private static void holders(BufferAllocator a, String indent, StringBuilder out) {
    if (a.getAllocatedMemory() > 0) {
      out.append('\n').append(indent).append(a.getName()).append(": ").append(a.getAllocatedMemory());
    }
    for (BufferAllocator child : a.getChildAllocators()) {
      holders(child, indent + "  ", out);
    }
  }

  /** The node's Arrow memory in use now. */
  long allocated() {
    return allocator.getAllocatedMemory();
  }

  @Override
  public void close() throws Exception {
    try {
      if (vertx != null) {
        await(vertx.close());
      }
      if (clients != null) {
        clients.close();
      }
    } finally {
      allocator.close();
    }
  }

  // ---- client-side helpers --------------------------------------------------------------------

  /** Uploads generated reviews in one batch per size; returns the acknowledgement. */
  static JsonObject uploadReviews(FlightClient client, BufferAllocator allocator, String name, long seed,
      int... batchSizes) throws Exception {
    ReviewsGenerator generator = new ReviewsGenerator(seed);
    try (VectorSchemaRoot root = VectorSchemaRoot.create(ReviewsGenerator.SCHEMA, allocator);
         SyncPutListener ack = new SyncPutListener()) {
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("datasets", name), root, ack);
      long row = 0;
      for (int size : batchSizes) {
        try (VectorSchemaRoot batch = generator.batch(row, size, allocator);
             ArrowRecordBatch arrow = new VectorUnloader(batch).getRecordBatch()) {
          new VectorLoader(root).load(arrow);
          put.putNext();
        }
        row += size;
      }
      put.completed();
      JsonObject result = null;
      while (true) {
        PutResult r;
        try {
          r = ack.read();
        } catch (java.util.concurrent.ExecutionException e) {
          throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
        if (r == null) {
          break;
        }
        try (r) {
          byte[] bytes = new byte[(int) r.getApplicationMetadata().readableBytes()];
          r.getApplicationMetadata().getBytes(0, bytes);
          result = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
        }
      }
      put.getResult();
      return result;
    }
  }

  /** Runs an action and returns its one JSON result. */
  static JsonObject action(FlightClient client, String type, String body, org.apache.arrow.flight.CallOption... options) {
    Iterator<Result> results = client.doAction(new Action(type, body.getBytes(StandardCharsets.UTF_8)), options);
    JsonObject reply = new JsonObject(new String(results.next().getBody(), StandardCharsets.UTF_8));
    results.forEachRemaining(r -> { });
    return reply;
  }

  /** Polls job_status (every 10 ms, for at most 60 s) until the job leaves RUNNING; returns the final status. */
  static JsonObject awaitEnd(FlightClient client, String job) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      JsonObject status = action(client, "job_status", "{\"job\":\"" + job + "\"}");
      if (!"RUNNING".equals(status.getString("state"))) {
        return status;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("job " + job + " still running after 60 s: " + status);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }
}
