package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three server processes in a cluster (one cluster for the class): a dataset stored on node A is applied
 * through B and streamed from C, its chunks run on several nodes; and a resident job for it, where A has
 * no room for a copy, runs on a copy another node loads. Labels are checked row by row against the
 * naive reference.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterApplyTest {
  static final int ROWS = 40_000;
  static final int CHUNK_ROWS = 400;
  static final int SEED = 5;
  /** Node A's budget: room for chunk tasks, none for a resident copy of the dataset (about 17 MiB). */
  static final Map<String, String> SMALL_BUDGET = Map.of("LABELFLIGHT_MEMORY_BUDGETMIB", "12");
  static final Duration BOUND = Duration.ofSeconds(120);

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
    nodes.put("a", SMALL_BUDGET);
    nodes.put("b", Map.of());
    nodes.put("c", Map.of());
    List<ClusterNodes.Node> started = cluster.start(nodes);
    a = started.get(0);
    b = started.get(1);
    c = started.get(2);
    ClusterNodes.awaitMembers(a, 3);
    ClusterNodes.awaitMembers(c, 3);
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

  /**
   * Verifies that node C lists the dataset stored on A; that applying it through B gives a job of A (the
   * job id names A), whose chunks run on more than one node, each counted once; and that its labels
   * streamed from C are right on every row.
   */
  @Test
  void applyThroughOneNodeRunsOnSeveralAndStreamsFromAnother() throws Exception {
    List<FlightInfo> listed = new ArrayList<>();
    c.client().listFlights(Criteria.ALL).forEach(listed::add);
    assertEquals(1, listed.size(), "node C lists the dataset stored on A");
    String job = FlightClients.action(b.client(), "apply", ClusterNodes.apply(HybridExecutionTest.LFS, "queue"))
        .getString("job");
    assertTrue(job.startsWith(a.id()), "the job runs where its data is: " + job);
    byte[][] fromC = FlightClients.labels(c.client(), job, 3, ROWS);
    JsonObject end = ClusterNodes.awaitEnd(c, job, BOUND);
    assertEquals("SUCCEEDED", end.getString("state"), end.encode());
    FlightClients.assertReviewLabels(allocator, SEED, ROWS, HybridExecutionTest.LFS, fromC);
    assertEquals(ROWS / CHUNK_ROWS, ClusterNodes.sum(end.getJsonObject("chunksByNode")), end.encode());
    assertTrue(end.getJsonObject("chunksByNode").size() >= 2, "chunks ran on several nodes: " + end.encode());
  }

  /**
   * Verifies that a resident job (applied through C) whose home node A has no room for a copy runs on a
   * copy another node loads (path resident, every chunk on that one node, none on A), with the right labels.
   */
  @Test
  void residentJobRunsOnACopyAnotherNodeLoads() throws Exception {
    ClusterNodes.awaitDirectory(a, 3);
    String job = FlightClients.action(c.client(), "apply", ClusterNodes.apply(LFS_RESIDENT, "resident"))
        .getString("job");
    JsonObject end = ClusterNodes.awaitEnd(b, job, BOUND);
    assertEquals("SUCCEEDED", end.getString("state"), end.encode());
    assertEquals("resident", end.getString("path"), end.encode());
    assertEquals(1, end.getJsonObject("chunksByNode").size(), end.encode());
    assertEquals(0, ClusterNodes.chunksOn(end, a.id()), "the copy is not on A: " + end.encode());
    FlightClients.assertReviewLabels(allocator, SEED, ROWS, LFS_RESIDENT, FlightClients.labels(a.client(), job, 3, ROWS));
  }

  /** Other LFs than the first test's, so that nothing comes from the label cache. */
  static final String LFS_RESIDENT = HybridExecutionTest.LFS.replace("\"value\":3", "\"value\":4");
}
