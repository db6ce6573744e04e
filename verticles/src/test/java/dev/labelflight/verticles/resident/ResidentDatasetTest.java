package dev.labelflight.verticles.resident;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.lf.HeapAllowance;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.memory.LocalMemoryPool;
import dev.labelflight.engine.memory.Reservation;
import dev.labelflight.engine.memory.footprint.ResidentFootprint;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.testing.TestAllocators;
import dev.labelflight.verticles.OnContext;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.node.NodeResources;
import dev.labelflight.verticles.worker.ChunkReport;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real resident copy ({@link ResidentDataset} deployed as a worker verticle over a real store) whose
 * text index build a test holds back with a latch: jobs run without it, and with it once it is done.
 */
@ExtendWith(VertxExtension.class)
class ResidentDatasetTest {
  private static final int ROWS = 6_000;
  private static final int CHUNK_ROWS = 2_000;
  private static final String LFS = """
      [{"name":"kw","kind":"keyword","column":"text","keywords":["great","battery","free money"],"wholeWord":true,
        "label":"%2$s"},
       {"name":"kw_src","kind":"keyword","column":"source","keywords":["sms"],"label":"%2$s"},
       {"name":"re","kind":"regex","column":"text","pattern":"click\\\\s+here|excellent","caseSensitive":false,
        "label":"%1$s"}]""";

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private RootAllocator allocator;
  private NodeResources node;
  private Manifest manifest;
  private HeapAllowance heap;
  private final CountDownLatch buildMayStart = new CountDownLatch(1);
  private final Map<String, String> builderThreads = new ConcurrentHashMap<>();
  /** Holds the index build back until the test opens {@link #buildMayStart}, then runs it on a thread of its own. */
  private final Executor heldBack = work -> new Thread(() -> {
    try {
      if (!buildMayStart.await(30, TimeUnit.SECONDS)) {
        return;
      }
    } catch (InterruptedException e) {
      return;
    }
    builderThreads.put("builder", Thread.currentThread().getName());
    work.run();
  }, "test index builder").start();
  /** Per job, per chunk: the labels' checksum, and how many LFs were computed (not read from the cache). */
  private final Map<String, Map<Integer, String>> reports = new ConcurrentHashMap<>();
  private String deploymentId;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx;
    allocator = TestAllocators.root();
    DatasetStore datasets = new DatasetStore(dataDir, CHUNK_ROWS);
    try (BufferAllocator upload = allocator.newChildAllocator("upload", 0, Long.MAX_VALUE);
         DatasetUpload writer = datasets.beginUpload("reviews", ReviewsGenerator.SCHEMA, upload);
         VectorSchemaRoot batch = new ReviewsGenerator(7).batch(0, ROWS, upload)) {
      writer.append(batch);
      writer.commit();
    }
    node = NodeResources.standalone("test", dataDir, datasets, new LocalMemoryPool("test", 256L << 20), allocator,
        LfLimits.DEFAULT, 60_000);
    heap = node.execution().residentHeap();
    manifest = datasets.manifest("reviews", null);
    vertx.eventBus().<JsonObject>consumer(Addresses.CHUNK_DONE, m -> {
      ChunkReport r = ChunkReport.fromJson(m.body());
      reports.computeIfAbsent(r.job(), j -> new TreeMap<>())
          .put(r.chunk(), Long.toHexString(r.crc32c()) + " computed " + r.computed().length);
    });
  }

  @AfterEach
  void stop() throws Exception {
    buildMayStart.countDown();
    OnContext.await(vertx.close());
    assertEquals(0, heap.used(), "no heap allowance left held");
    assertEquals(0, node.memoryPool().reservedBytes(), "no budget left held");
    allocator.close();
  }

  private ResidentDataset deploy() throws Exception {
    Reservation reservation = node.memoryPool().newReservation("resident copy of reviews");
    assertTrue(reservation.trySetBytes(ResidentFootprint.of(manifest)));
    ResidentDataset copy = new ResidentDataset(node, manifest, reservation,
        (m, i, a) -> node.datasets().readChunk(m, i, a), heldBack);
    deploymentId = OnContext.await(vertx.deployVerticle(copy,
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
    return copy;
  }

  /** Runs a job with class names {@code a}, {@code b} (new names: not in the label cache) on the copy. */
  private Map<Integer, String> apply(ResidentDataset copy, String job, String a, String b) throws Exception {
    JsonObject request = new JsonObject().put("dataset", "reviews").put("labels", new JsonArray().add(a).add(b))
        .put("lfs", new JsonArray(String.format(LFS, a, b)));
    JsonObject reply = OnContext.await(vertx.eventBus().<JsonObject>request(copy.address(),
        new ResidentRun(job, request.encode(), null).toJson())).body();
    assertEquals(ROWS / CHUNK_ROWS, reply.getInteger("chunks"));
    // Chunk reports are sent before the reply; wait (bounded) until the consumer has seen them all.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (reports.getOrDefault(job, Map.of()).size() < ROWS / CHUNK_ROWS && System.nanoTime() < deadline) {
      OnContext.pause(vertx, 10);
    }
    return reports.get(job);
  }

  /**
   * Verifies that an apply right after load completes while the index build is held back, building nothing
   * itself (no heap allowance taken), and that once the build has run on its own thread a later apply
   * reads the kept, indexed columns and gives the same labels, chunk by chunk.
   */
  @Test
  void anApplyAfterLoadNeitherWaitsForNorBuildsTheIndexes() throws Exception {
    ResidentDataset copy = deploy();
    Map<Integer, String> first = apply(copy, "job-1", "HAM", "SPAM");
    assertEquals(ROWS / CHUNK_ROWS, first.size());
    first.values().forEach(r -> assertTrue(r.endsWith("computed 3"), r));
    assertEquals(0, heap.used(), "the job kept no text of its own");
    assertFalse(copy.indexes().done().isDone(), "the build is still held back");

    buildMayStart.countDown();
    copy.indexes().done().get(30, TimeUnit.SECONDS);
    assertEquals("test index builder", builderThreads.get("builder"));
    assertTrue(heap.used() > 0, "the text columns are kept now");
    Map<Integer, String> after = apply(copy, "job-2", "HAM2", "SPAM2");
    assertEquals(first, after, "the same labels (checksums) chunk by chunk, all computed again");
  }

  /**
   * Verifies that undeploying a copy whose build starts meanwhile stops the build before the chunks are
   * closed, and gives back every byte: heap allowance, budget and Arrow memory (checked after each test).
   */
  @Test
  void releasingTheCopyStopsItsBuild() throws Exception {
    ResidentDataset copy = deploy();
    var undeployed = vertx.undeploy(deploymentId);
    buildMayStart.countDown();
    OnContext.await(undeployed);
    assertTrue(copy.indexes().done().isDone(), "the build ended before the copy was released");
    assertEquals(0, heap.used());
    assertEquals(0, node.memoryPool().reservedBytes());
  }
}
