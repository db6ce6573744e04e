package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node that joins a cluster while a job runs there starts borrowing its tasks at once. */
class ClusterNodeJoinTest {
  static final int ROWS = 40_000;
  static final int CHUNK_ROWS = 400;

  @TempDir Path dir;

  /**
   * LFs slow enough that the job outlasts a node's start many times over (it is cancelled once the new node
   * took a task): on a loaded machine a node took 25 s to join, as long as 120 list elements kept the job.
   */
  static String longLfs(int count) {
    String list = String.join(",", java.util.stream.IntStream.range(0, 600).mapToObj(String::valueOf).toList());
    JsonArray lfs = new JsonArray();
    for (int k = 0; k < count; k++) {
      lfs.add(new JsonObject().put("name", "long" + k).put("kind", "expression").put("label", "HAM")
          .put("expr", "[" + list + "].filter(i, (length + i) % " + (7 + k) + " == 0).size() > 3"));
    }
    return lfs.encode();
  }

  /**
   * Verifies that a node joining a two-node cluster while a long job runs on it takes tasks of that job,
   * and that the job can then be cancelled (CANCELLED once its running chunks returned).
   */
  @Test
  void aJoiningNodeBorrowsTasksOfARunningJob() throws Exception {
    try (RootAllocator allocator = new RootAllocator();
         ClusterNodes cluster = new ClusterNodes(dir, CHUNK_ROWS, 3, allocator)) {
      Map<String, Map<String, String>> first = new LinkedHashMap<>();
      first.put("a", Map.of());
      first.put("b", Map.of());
      List<ClusterNodes.Node> started = cluster.start(first);
      ClusterNodes.Node a = started.get(0);
      ClusterNodes.awaitMembers(a, 2);
      FlightClients.uploadReviews(a.client(), allocator, "reviews", 5, ROWS);
      String job = FlightClients.action(a.client(), "apply", ClusterNodes.apply(longLfs(2), "queue")).getString("job");
      ClusterNodes.Node d = cluster.start(Map.of("d", Map.of())).get(0);
      JsonObject status = Await.until(Duration.ofSeconds(120), () -> d.status(job),
          s -> ClusterNodes.chunksOn(s, d.id()) >= 1 || !s.getString("state").equals("RUNNING"),
          "the node that joined runs a task of " + job);
      assertTrue(ClusterNodes.chunksOn(status, d.id()) >= 1, "the node that joined mid-job ran tasks: " + status.encode());
      JsonObject cancelled = FlightClients.action(d.client(), "cancel", "{\"job\":\"" + job + "\"}");
      // The expressions' chunks stop at their next check (or end) before the job is reported CANCELLED.
      JsonObject end = cancelled.getString("state").equals("RUNNING")
          ? ClusterNodes.awaitEnd(d, job, Duration.ofSeconds(60)) : cancelled;
      assertEquals("CANCELLED", end.getString("state"), end.encode());
    }
  }
}
