package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server processes clustered over Hazelcast on loopback, each with its own data directory: uploads,
 * applies and label streams through different nodes, a node killed mid-job, a node joining mid-job.
 */
class ClusterTest {
  static final int ROWS = 40_000;
  static final int CHUNK_ROWS = 400;
  /** Cheap LFs plus one that keeps a chunk busy for a while (a comprehension the columnar path cannot take). */
  static final String SLOW_LFS = """
      [{"name":"kw_spam","kind":"keyword","column":"text","keywords":["free money","winner","click here"],"label":"SPAM"},
       {"name":"re_url","kind":"regex","column":"text","pattern":"https?://","label":"SPAM"},
       {"name":"low_stars","kind":"numeric","column":"stars","op":"<","value":3,"label":"SPAM"},
       {"name":"busy","kind":"expression","expr":"[0,1,2,3,4,5,6,7,8,9,10,11].filter(i, (length + i) % 7 == 0).size() > 1 || stars == 5","label":"HAM"}]
      """;

  /**
   * LFs slow enough that a job outlasts a node's start many times over (it is cancelled as soon as the new
   * node took a task, so its length costs nothing).
   */
  static final String LONG_LFS = longLfs(8);

  private static String longLfs(int count) {
    String list = String.join(",", java.util.stream.IntStream.range(0, 300).mapToObj(String::valueOf).toList());
    JsonArray lfs = new JsonArray();
    for (int k = 0; k < count; k++) {
      lfs.add(new JsonObject().put("name", "long" + k).put("kind", "expression").put("label", "HAM")
          .put("expr", "[" + list + "].filter(i, (length + i) % " + (7 + k) + " == 0).size() > 3"));
    }
    return lfs.encode();
  }

  /** Node A's budget: room for chunk tasks, none for a resident copy of the dataset (about 17 MiB). */
  static final Map<String, String> SMALL_BUDGET = Map.of("LABELFLIGHT_MEMORY_BUDGETMIB", "12");

  @TempDir Path dir;

  private final List<ServerProcess> nodes = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<Integer> hazelcastPorts = new ArrayList<>();
  private final String clusterName = "labelflight-test-" + UUID.randomUUID();

  /** Starts nodes in parallel (each takes seconds, mostly waiting for the others to join). */
  private List<ServerProcess> startTogether(String... names) throws Exception {
    var pool = java.util.concurrent.Executors.newFixedThreadPool(names.length);
    try {
      List<java.util.concurrent.Future<ServerProcess>> futures = new ArrayList<>();
      for (int i = 0; i < names.length; i++) {
        String name = names[i];
        int index = i;
        futures.add(pool.submit(() -> start(name, index, index == 0 ? SMALL_BUDGET : Map.of())));
      }
      List<ServerProcess> out = new ArrayList<>();
      for (var f : futures) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdown();
    }
  }

  private ServerProcess node(String name) throws Exception {
    return start(name, nodes.size(), Map.of());
  }

  private ServerProcess start(String name, int index, Map<String, String> extra) throws Exception {
    Path data = dir.resolve(name);
    Files.createDirectories(data);
    Map<String, String> env = new HashMap<>();
    env.put("LABELFLIGHT_CLUSTER_ENABLED", "true");
    env.put("LABELFLIGHT_CLUSTER_NAME", clusterName);
    env.put("LABELFLIGHT_CLUSTER_PORT", String.valueOf(hazelcastPorts.get(index)));
    env.put("LABELFLIGHT_CLUSTER_MEMBERS", String.join(",", hazelcastPorts.stream().map(p -> "127.0.0.1:" + p).toList()));
    env.putAll(extra);
    ServerProcess node = new ServerProcess(data, dir.resolve(name + ".log"), CHUNK_ROWS, env);
    nodes.add(node);
    return node;
  }

  private static void awaitMembers(ServerProcess node, int members) throws Exception {
    long deadline = System.currentTimeMillis() + 90_000;
    while (node.http("/health").getJsonObject("cluster").getInteger("members") != members) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("cluster did not reach " + members + " members: " + node.http("/health"));
      }
      Thread.sleep(100);
    }
  }

  private static String apply(String lfs) {
    return "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],\"mode\":\"queue\",\"lfs\":" + lfs + "}";
  }

  private static int chunksOn(JsonObject status, String nodeId) {
    return status.getJsonObject("chunksByNode").getInteger(nodeId, 0);
  }

  private static int sum(JsonObject byNode) {
    return byNode.stream().mapToInt(e -> ((Number) e.getValue()).intValue()).sum();
  }

  /** The labels a standalone node gives for the same data and each of these LF sets (4 LFs each). */
  private List<byte[][]> standaloneLabels(RootAllocator allocator, String... lfSets) throws Exception {
    try (TestServer standalone = new TestServer(dir.resolve("standalone"), CHUNK_ROWS);
         FlightClient client = standalone.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 5, ROWS);
      List<byte[][]> out = new ArrayList<>();
      for (String lfs : lfSets) {
        String job = FlightClients.action(client, "apply", apply(lfs)).getString("job");
        assertEquals("SUCCEEDED", FlightClients.awaitEnd(client, job, 120_000).getString("state"));
        out.add(FlightClients.labels(client, job, 4, ROWS));
      }
      return out;
    }
  }

  /**
   * Verifies that three server processes form a cluster; that a dataset uploaded to node A is applied
   * through node B, runs on more than one node, and its labels streamed from node C equal a standalone
   * run's; that when node C is killed with SIGKILL mid-job, the job completes on A and B with the same
   * labels and no chunk counted twice; that a fourth node joining mid-job receives tasks; and that
   * SIGTERM on a node running borrowed tasks lets it finish or hand them back and exit 0 while the job
   * completes on the others with the same labels.
   */
  @Test
  void threeNodesApplyAcrossTheClusterSurviveAKillAndTakeInANewNode() throws Exception {
    for (int i = 0; i < 4; i++) {
      hazelcastPorts.add(ServerProcess.freePort());
    }
    try (RootAllocator allocator = new RootAllocator()) {
      long t0 = System.currentTimeMillis();
      String busier = SLOW_LFS.replace("> 1", "> 0");
      String drained = SLOW_LFS.replace("> 1", "> 2");
      List<byte[][]> reference = standaloneLabels(allocator, SLOW_LFS, busier, drained);
      byte[][] expected = reference.get(0);
      System.out.println("standalone run: " + (System.currentTimeMillis() - t0) + " ms");
      try {
        List<ServerProcess> started = startTogether("a", "b", "c");
        ServerProcess a = started.get(0);
        ServerProcess b = started.get(1);
        ServerProcess c = started.get(2);
        awaitMembers(a, 3);
        awaitMembers(c, 3);
        System.out.println("cluster of 3 up: " + (System.currentTimeMillis() - t0) + " ms");
        String nodeA = a.http("/health").getString("node");
        String nodeB = b.http("/health").getString("node");
        String nodeC = c.http("/health").getString("node");
        try (FlightClient toA = client(allocator, a);
             FlightClient toB = client(allocator, b);
             FlightClient toC = client(allocator, c)) {
          FlightClients.uploadReviews(toA, allocator, "reviews", 5, ROWS);
          List<FlightInfo> listed = new ArrayList<>();
          toC.listFlights(org.apache.arrow.flight.Criteria.ALL).forEach(listed::add);
          assertEquals(1, listed.size(), "node C lists the dataset stored on A");

          // 1. Upload to A, apply through B, stream from C.
          String job = FlightClients.action(toB, "apply", apply(SLOW_LFS)).getString("job");
          assertTrue(job.startsWith(nodeA), "the job runs where its data is: " + job);
          byte[][] fromC = FlightClients.labels(toC, job, 4, ROWS);
          JsonObject end = FlightClients.awaitEnd(toC, job, 180_000);
          assertEquals("SUCCEEDED", end.getString("state"), end.encode());
          System.out.println("first job done: " + (System.currentTimeMillis() - t0) + " ms " + end.encode());
          for (int lf = 0; lf < 4; lf++) {
            assertArrayEquals(expected[lf], fromC[lf], "LF " + lf + " streamed from C");
          }
          assertEquals(ROWS / CHUNK_ROWS, sum(end.getJsonObject("chunksByNode")), end.encode());
          assertTrue(end.getJsonObject("chunksByNode").size() >= 2, "chunks ran on several nodes: " + end.encode());

          // 1b. Mode resident through C: A has no room, so another node loads a copy and runs the job there.
          String onCopy = FlightClients.action(toC, "apply", apply(SLOW_LFS).replace("\"queue\"", "\"resident\""))
              .getString("job");
          JsonObject copyEnd = FlightClients.awaitEnd(toB, onCopy, 180_000);
          System.out.println("resident job on another node done: " + (System.currentTimeMillis() - t0) + " ms "
              + copyEnd.encode());
          assertEquals("SUCCEEDED", copyEnd.getString("state"), copyEnd.encode());
          assertEquals("resident", copyEnd.getString("path"), copyEnd.encode());
          assertEquals(1, copyEnd.getJsonObject("chunksByNode").size(), copyEnd.encode());
          assertEquals(0, chunksOn(copyEnd, nodeA), "the copy is not on A: " + copyEnd.encode());
          byte[][] fromCopy = FlightClients.labels(toA, onCopy, 4, ROWS);
          for (int lf = 0; lf < 4; lf++) {
            assertArrayEquals(expected[lf], fromCopy[lf], "LF " + lf + " from a resident copy on another node");
          }

          // 2. The same job again, with the cache cleared by a new LF name... a fresh LF set: kill C mid-job.
          byte[][] expectedBusier = reference.get(1);
          String second = FlightClients.action(toB, "apply", apply(busier)).getString("job");
          JsonObject status;
          do {
            status = FlightClients.action(toA, "job_status", "{\"job\":\"" + second + "\"}");
            Thread.sleep(20);
          } while (chunksOn(status, nodeC) < 2 && status.getString("state").equals("RUNNING"));
          assertEquals("RUNNING", status.getString("state"), "C took tasks before the job ended: " + status.encode());
          c.kill();
          System.out.println("C killed: " + (System.currentTimeMillis() - t0) + " ms " + status.encode());

          JsonObject done = FlightClients.awaitEnd(toB, second, 180_000);
          System.out.println("second job done: " + (System.currentTimeMillis() - t0) + " ms " + done.encode());
          assertEquals("SUCCEEDED", done.getString("state"), done.encode());
          assertEquals(ROWS / CHUNK_ROWS, done.getInteger("chunksDone"));
          assertEquals(ROWS / CHUNK_ROWS, sum(done.getJsonObject("chunksByNode")), "no chunk counted twice: " + done.encode());
          assertEquals(0, chunksOn(done, "?"), done.encode());
          byte[][] fromB = FlightClients.labels(toB, second, 4, ROWS);
          for (int lf = 0; lf < 4; lf++) {
            assertArrayEquals(expectedBusier[lf], fromB[lf], "LF " + lf + " after the kill");
          }

          // 3. A long job; a fourth node joins while it runs and gets tasks (then the job is cancelled).
          String third = FlightClients.action(toA, "apply", apply(LONG_LFS)).getString("job");
          ServerProcess d = node("d");
          String nodeD = d.http("/health").getString("node");
          System.out.println("D joined: " + (System.currentTimeMillis() - t0) + " ms");
          try (FlightClient toD = client(allocator, d)) {
            long deadline = System.currentTimeMillis() + 120_000;
            do {
              status = FlightClients.action(toD, "job_status", "{\"job\":\"" + third + "\"}");
              Thread.sleep(50);
            } while (chunksOn(status, nodeD) < 1 && status.getString("state").equals("RUNNING")
                && System.currentTimeMillis() < deadline);
            assertTrue(chunksOn(status, nodeD) >= 1, "the node that joined mid-job ran tasks: " + status.encode());
            assertEquals("CANCELLED", FlightClients.action(toD, "cancel", "{\"job\":\"" + third + "\"}")
                .getString("state"));
          }

          // 4. SIGTERM on B while it runs tasks of A's job: B hands back what it has, exits 0, the job completes.
          String fourth = FlightClients.action(toA, "apply", apply(drained)).getString("job");
          do {
            status = FlightClients.action(toA, "job_status", "{\"job\":\"" + fourth + "\"}");
            Thread.sleep(20);
          } while (chunksOn(status, nodeB) < 1 && status.getString("state").equals("RUNNING"));
          assertEquals("RUNNING", status.getString("state"), "B took tasks before the job ended: " + status.encode());
          assertEquals(0, b.terminate(), "exit status after SIGTERM");
          JsonObject afterTerm = FlightClients.awaitEnd(toA, fourth, 180_000);
          System.out.println("job after SIGTERM done: " + (System.currentTimeMillis() - t0) + " ms " + afterTerm.encode());
          assertEquals("SUCCEEDED", afterTerm.getString("state"), afterTerm.encode());
          assertEquals(ROWS / CHUNK_ROWS, sum(afterTerm.getJsonObject("chunksByNode")), afterTerm.encode());
          byte[][] afterTermLabels = FlightClients.labels(toA, fourth, 4, ROWS);
          for (int lf = 0; lf < 4; lf++) {
            assertArrayEquals(reference.get(2)[lf], afterTermLabels[lf], "LF " + lf + " after B's SIGTERM");
          }

          // 5. B and C are gone: a resident job gets a new copy on the only other node left, D.
          String again = FlightClients.action(toA, "apply", apply(drained).replace("\"queue\"", "\"resident\""))
              .getString("job");
          JsonObject againEnd = FlightClients.awaitEnd(toA, again, 180_000);
          assertEquals("SUCCEEDED", againEnd.getString("state"), againEnd.encode());
          assertEquals("resident", againEnd.getString("path"), againEnd.encode());
          assertEquals(ROWS / CHUNK_ROWS, chunksOn(againEnd, nodeD), "the copy was made again on D: " + againEnd.encode());
          byte[][] againLabels = FlightClients.labels(toA, again, 4, ROWS);
          for (int lf = 0; lf < 4; lf++) {
            assertArrayEquals(reference.get(2)[lf], againLabels[lf], "LF " + lf + " from the copy on D");
          }
        }
      } finally {
        for (ServerProcess node : nodes) {
          node.close();
        }
      }
    }
  }

  private static FlightClient client(RootAllocator allocator, ServerProcess node) {
    return node.client(allocator);
  }
}
