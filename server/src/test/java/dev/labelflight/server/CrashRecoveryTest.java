package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Path;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpointing through the label cache, across a kill -9 of a real server process. */
class CrashRecoveryTest {
  static final int ROWS = 100_000;
  static final int CHUNKS = 100;

  @TempDir Path dir;

  static String body() {
    return "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],\"mode\":\"queue\",\"lfs\":" + HybridExecutionTest.LFS + "}";
  }

  /**
   * Verifies that after kill -9 in the middle of a job and a restart on the same data directory,
   * re-applying the same LFs computes only the chunks that were not finished before the kill, yields
   * the right labels, and that a third apply computes nothing.
   */
  @Test
  void reapplyAfterKillComputesOnlyMissingChunks() throws Exception {
    Path data = dir.resolve("data");
    Path log = dir.resolve("server.log");
    assertTrue(new File(System.getProperty("java.class.path").split(File.pathSeparator)[0]).exists());
    int doneBeforeKill;
    try (ServerProcess server = new ServerProcess(data, log, ROWS / CHUNKS);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 9, ROWS);
      String job = FlightClients.action(client, "apply", body()).getString("job");
      JsonObject status;
      do {
        status = FlightClients.action(client, "job_status", "{\"job\":\"" + job + "\"}");
      } while (status.getInteger("chunksDone") < 5);
      server.kill();
      doneBeforeKill = status.getInteger("chunksDone");
      assertEquals("RUNNING", status.getString("state"));
    }
    try (ServerProcess server = new ServerProcess(data, log, ROWS / CHUNKS);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      String job = FlightClients.action(client, "apply", body()).getString("job");
      byte[][] labels = FlightClients.labels(client, job, 3, ROWS);
      JsonObject end = FlightClients.awaitEnd(client, job, 120_000);
      assertEquals("SUCCEEDED", end.getString("state"), end.encode());
      long computedChunks = end.getLong("lfChunkEvaluations") / 3;
      assertEquals(0, end.getLong("lfChunkEvaluations") % 3, "all LFs of a chunk are missing together");
      assertTrue(computedChunks <= CHUNKS - doneBeforeKill,
          computedChunks + " chunks computed, but " + doneBeforeKill + " were done before the kill");
      assertTrue(computedChunks > 0, "the kill came before the job ended, so some chunks were missing");
      FlightClients.assertReviewLabels(allocator, 9, ROWS, HybridExecutionTest.LFS, labels);

      String again = FlightClients.action(client, "apply", body()).getString("job");
      assertEquals(0, FlightClients.awaitEnd(client, again, 60_000).getLong("lfChunkEvaluations"));
    }
  }
}
