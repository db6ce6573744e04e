package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.demo.ReviewsGenerator;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes leaving a cluster of three while jobs run (one cluster for the class, in order): a borrower killed
 * with SIGKILL has its tasks run again elsewhere; a resident copy is then made on a node still alive; a
 * borrower given SIGTERM finishes or hands back its tasks and exits 0. Each job completes with the right
 * labels and no chunk counted twice.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterNodeLossTest {
  static final int ROWS = 40_000;
  static final int CHUNK_ROWS = 400;
  static final int SEED = 5;
  static final int CHUNKS = ROWS / CHUNK_ROWS;
  static final Duration BOUND = Duration.ofSeconds(120);
  /** Cheap LFs plus one that keeps a chunk busy for a while (a comprehension the columnar path cannot take). */
  static final String SLOW_LFS = HybridExecutionTest.LFS.substring(0, HybridExecutionTest.LFS.lastIndexOf(']'))
      + ",{\"name\":\"busy\",\"kind\":\"expression\","
      + "\"expr\":\"[0,1,2,3,4,5,6,7,8,9,10,11].filter(i, (length + i) % 7 == 0).size() > 1 || stars == 5\","
      + "\"label\":\"HAM\"}]";

  @TempDir static Path dir;
  private RootAllocator allocator;
  private ClusterNodes cluster;
  private ClusterNodes.Node a;
  private ClusterNodes.Node b;
  private ClusterNodes.Node c;

  @BeforeAll
  void start() throws Exception {
    allocator = new RootAllocator();
    cluster = new ClusterNodes(dir, CHUNK_ROWS, 3, allocator);
    Map<String, Map<String, String>> nodes = new LinkedHashMap<>();
    nodes.put("a", ClusterApplyTest.SMALL_BUDGET);
    nodes.put("b", Map.of());
    nodes.put("c", Map.of());
    List<ClusterNodes.Node> started = cluster.start(nodes);
    a = started.get(0);
    b = started.get(1);
    c = started.get(2);
    ClusterNodes.awaitMembers(a, 3);
    FlightClients.uploadReviews(a.client(), allocator, "reviews", SEED, ROWS);
  }

  @AfterAll
  void stop() throws Exception {
    try {
      cluster.close();
    } finally {
      allocator.close();
    }
  }

  /** The labels of {@link #SLOW_LFS} (the three cheap LFs by the naive reference, "busy" computed here). */
  private void assertSlowLabels(String lfs, byte[][] labels) throws Exception {
    FlightClients.assertReviewLabels(allocator, SEED, ROWS, HybridExecutionTest.LFS, new byte[][] {labels[0], labels[1],
        labels[2]});
    byte[] busy = new byte[ROWS];
    int modulus = lfs.contains("% 8 ==") ? 8 : 7;
    try (VectorSchemaRoot data = new ReviewsGenerator(SEED).batch(0, ROWS, allocator)) {
      IntVector length = (IntVector) data.getVector("length");
      IntVector stars = (IntVector) data.getVector("stars");
      for (int row = 0; row < ROWS; row++) {
        int hits = 0;
        for (int i = 0; i <= 11; i++) {
          hits += (length.get(row) + i) % modulus == 0 ? 1 : 0;
        }
        busy[row] = (byte) (hits > 1 || stars.get(row) == 5 ? 0 : -1);
      }
    }
    assertArrayEquals(busy, labels[3], "LF busy");
  }

  private String applyOn(ClusterNodes.Node via, String lfs, String mode) {
    return FlightClients.action(via.client(), "apply", ClusterNodes.apply(lfs, mode)).getString("job");
  }

  /** Waits until {@code node} ran at least {@code chunks} chunks of the job; the job must still run then. */
  private JsonObject awaitChunksOn(String job, ClusterNodes.Node node, int chunks) throws Exception {
    JsonObject status = Await.until(BOUND, () -> a.status(job), s -> ClusterNodes.chunksOn(s, node.id()) >= chunks
        || !s.getString("state").equals("RUNNING"), node.name() + " runs " + chunks + " chunks of " + job);
    assertEquals("RUNNING", status.getString("state"), node.name() + " took tasks before the job ended: "
        + status.encode());
    return status;
  }

  /**
   * Verifies that when a node running borrowed tasks is killed (SIGKILL), the job completes on the others
   * with the right labels and every chunk counted once.
   */
  @Test
  @Order(1)
  void aKilledBorrowersTasksRunAgainElsewhere() throws Exception {
    String job = applyOn(b, SLOW_LFS, "queue");
    awaitChunksOn(job, c, 2);
    c.process().kill();
    JsonObject end = ClusterNodes.awaitEnd(b, job, BOUND);
    assertEquals("SUCCEEDED", end.getString("state"), end.encode());
    assertEquals(CHUNKS, end.getInteger("chunksDone"));
    assertEquals(CHUNKS, ClusterNodes.sum(end.getJsonObject("chunksByNode")), "no chunk counted twice: " + end.encode());
    assertSlowLabels(SLOW_LFS, FlightClients.labels(b.client(), job, 4, ROWS));
  }

  /**
   * Verifies that once the killed node has left, a resident job whose home has no room gets a copy on the
   * node still alive and completes there with the right labels.
   */
  @Test
  @Order(2)
  void aResidentCopyIsMadeOnANodeStillAlive() throws Exception {
    ClusterNodes.awaitMembers(a, 2);
    ClusterNodes.awaitDirectory(a, 2);
    String lfs = SLOW_LFS.replace("% 7 ==", "% 8 ==");
    String job = applyOn(a, lfs, "resident");
    JsonObject end = ClusterNodes.awaitEnd(a, job, BOUND);
    assertEquals("SUCCEEDED", end.getString("state"), end.encode());
    assertEquals("resident", end.getString("path"), end.encode());
    assertEquals(CHUNKS, ClusterNodes.chunksOn(end, b.id()), "the copy is on B: " + end.encode());
    assertSlowLabels(lfs, FlightClients.labels(a.client(), job, 4, ROWS));
  }

  /**
   * Verifies that SIGTERM on a node running borrowed tasks makes it finish or hand back its tasks and exit
   * 0 within the drain time, while the job completes on the home node with the right labels.
   */
  @Test
  @Order(3)
  void aSigtermedBorrowerHandsBackItsTasksAndExitsZero() throws Exception {
    String lfs = SLOW_LFS.replace("stars == 5", "stars == 4");
    String job = applyOn(a, lfs, "queue");
    awaitChunksOn(job, b, 1);
    b.process().process.destroy();
    assertTrue(b.process().process.waitFor(60, TimeUnit.SECONDS), "B still runs 60 s after SIGTERM");
    assertEquals(0, b.process().process.exitValue(), "exit status after SIGTERM; " + cluster.log("b"));
    JsonObject end = ClusterNodes.awaitEnd(a, job, BOUND);
    assertEquals("SUCCEEDED", end.getString("state"), end.encode());
    assertEquals(CHUNKS, ClusterNodes.sum(end.getJsonObject("chunksByNode")), end.encode());
    byte[][] labels = FlightClients.labels(a.client(), job, 4, ROWS);
    FlightClients.assertReviewLabels(allocator, SEED, ROWS, HybridExecutionTest.LFS, new byte[][] {labels[0], labels[1],
        labels[2]});
  }
}
