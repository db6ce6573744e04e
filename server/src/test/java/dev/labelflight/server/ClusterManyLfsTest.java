package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16.5: a job of 2,000 LFs over 200,000 rows on three nodes. A borrowed chunk's label columns
 * (10,000 rows x 2,000 LFs = 20 MB) travel back to the home node as Arrow in a binary message; as JSON
 * they were a string over Jackson's 20,000,000-character limit and the job never ended.
 */
class ClusterManyLfsTest {
  static final int ROWS = 200_000;
  static final int CHUNK_ROWS = 10_000;
  static final int LFS = 2_000;
  static final int SEED = 9;

  @TempDir Path dir;

  /** Cheap numeric LFs: thresholds on stars and length, so that evaluating them costs little. */
  static JsonArray manyLfs() {
    JsonArray lfs = new JsonArray();
    String[] ops = {"<", "<=", ">", ">=", "==", "!="};
    for (int i = 0; i < LFS; i++) {
      boolean stars = i % 2 == 0;
      lfs.add(new JsonObject().put("name", "lf" + i).put("kind", "numeric").put("column", stars ? "stars" : "length")
          .put("op", ops[i % ops.length]).put("value", stars ? 1 + i % 5 : 20 + i % 300)
          .put("label", i % 3 == 0 ? "HAM" : "SPAM"));
    }
    return lfs;
  }

  /**
   * Verifies that the job completes, that chunks ran on more than one node (so label columns travelled
   * between nodes), each counted once, and that the labels streamed back are right for a sample of LFs
   * (first, middle, last) on every row.
   */
  @Test
  void twoThousandLfsOnThreeNodesComplete() throws Exception {
    try (RootAllocator allocator = new RootAllocator();
         ClusterNodes cluster = new ClusterNodes(dir, CHUNK_ROWS, 3, allocator)) {
      Map<String, Map<String, String>> nodes = new LinkedHashMap<>();
      for (String name : List.of("a", "b", "c")) {
        nodes.put(name, Map.of());
      }
      List<ClusterNodes.Node> started = cluster.start(nodes);
      ClusterNodes.Node a = started.get(0);
      ClusterNodes.awaitMembers(a, 3);
      int[] batches = new int[ROWS / 20_000];
      java.util.Arrays.fill(batches, 20_000);
      FlightClients.uploadReviews(a.client(), allocator, "reviews", SEED, batches);
      JsonArray lfs = manyLfs();
      String job = FlightClients.action(started.get(1).client(), "apply", "{\"dataset\":\"reviews\","
          + "\"labels\":[\"HAM\",\"SPAM\"],\"mode\":\"queue\",\"lfs\":" + lfs.encode() + "}").getString("job");
      // The status without the 2,000 LF names, for readable failures.
      JsonObject end = Await.until(Duration.ofSeconds(180), () -> {
        JsonObject s = a.status(job);
        return new JsonObject().put("state", s.getString("state")).put("chunksDone", s.getInteger("chunksDone"))
            .put("chunksTotal", s.getInteger("chunksTotal")).put("chunksByNode", s.getJsonObject("chunksByNode"))
            .put("error", s.getString("error"));
      }, s -> !s.getString("state").equals("RUNNING"), "the job of 2,000 LFs ends");
      assertEquals("SUCCEEDED", end.getString("state"), end.encode());
      assertEquals(ROWS / CHUNK_ROWS, ClusterNodes.sum(end.getJsonObject("chunksByNode")), end.encode());
      assertTrue(end.getJsonObject("chunksByNode").size() >= 2, "chunks ran on several nodes: " + end.encode());

      int[] sample = {0, LFS / 2 + 1, LFS - 1};
      byte[][] labels = new byte[sample.length][ROWS];
      int seen = 0;
      try (FlightStream stream = a.client().getStream(new Ticket(("labels/" + job).getBytes(StandardCharsets.UTF_8)))) {
        VectorSchemaRoot root = stream.getRoot();
        assertEquals(LFS + 1, root.getFieldVectors().size());
        while (stream.next()) {
          for (int s = 0; s < sample.length; s++) {
            ((TinyIntVector) root.getVector(sample[s] + 1)).getDataBuffer().getBytes(0, labels[s], seen, root.getRowCount());
          }
          seen += root.getRowCount();
        }
      }
      assertEquals(ROWS, seen);
      JsonArray specs = new JsonArray();
      for (int i : sample) {
        specs.add(lfs.getJsonObject(i));
      }
      FlightClients.assertReviewLabels(allocator, SEED, ROWS, specs.encode(), labels);
    }
  }
}
