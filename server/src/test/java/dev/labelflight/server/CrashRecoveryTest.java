package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Path;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpointing through the label cache, across a kill -9 of a real server process. */
class CrashRecoveryTest {
  static final int ROWS = 100_000;
  static final int CHUNKS = 100;
  /** How the store names the dev user's dataset "reviews" (ServerProcess runs with authentication on). */
  static final String STORED_NAME = dev.labelflight.engine.store.DatasetNames.qualify(ServerProcess.DEV_USER, "reviews");

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
      JsonObject status = Await.until(java.time.Duration.ofSeconds(120), () -> FlightClients.action(client,
          "job_status", "{\"job\":\"" + job + "\"}"), s -> s.getInteger("chunksDone") >= 5, "five chunks done");
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

  /**
   * Verifies that kill -9 in the middle of uploading a new version, after some of its chunks were
   * written, leaves after a restart: the previous version whole and readable (every row, in order), no
   * trace of the half-written one (no version 2, no staging directory), and the label cache of the
   * previous version intact (re-applying computes nothing and gives the right labels); the next upload
   * then becomes version 2.
   */
  @Test
  void killDuringUploadKeepsThePreviousVersion() throws Exception {
    Path log = dir.resolve("server.log");
    try {
      killDuringUpload(dir.resolve("data"), log);
    } catch (Exception | AssertionError e) {
      throw new AssertionError("kill during upload failed; server log:\n" + java.nio.file.Files.readString(log), e);
    }
  }

  private void killDuringUpload(Path data, Path log) throws Exception {
    int rows = 20_000;
    String lfs = "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],\"mode\":\"queue\",\"lfs\":"
        + HybridExecutionTest.LFS + "}";
    try (ServerProcess server = new ServerProcess(data, log, ROWS / CHUNKS);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 9, rows);
      String job = FlightClients.action(client, "apply", lfs).getString("job");
      assertEquals("SUCCEEDED", FlightClients.awaitEnd(client, job, 120_000).getString("state"));

      RootAllocator doomedAllocator = new RootAllocator();
      FlightClient doomed = server.client(doomedAllocator);
      dev.labelflight.engine.demo.ReviewsGenerator generator = new dev.labelflight.engine.demo.ReviewsGenerator(10);
      try (org.apache.arrow.vector.VectorSchemaRoot root = org.apache.arrow.vector.VectorSchemaRoot.create(
               dev.labelflight.engine.demo.ReviewsGenerator.SCHEMA, doomedAllocator)) {
        var put = doomed.startPut(org.apache.arrow.flight.FlightDescriptor.path("datasets", "reviews"), root,
            new org.apache.arrow.flight.SyncPutListener());
        Path datasetDir = data.resolve("datasets").resolve(STORED_NAME);
        // One chunk per batch: the next batch goes once the one before the last is staged, until five are.
        for (int sent = 1; stagedFiles(datasetDir) < 5; sent++) {
          assertTrue(sent < 200, "the server never wrote five staged chunks");
          try (var batch = generator.batch((sent - 1) * 1_000L, 1_000, doomedAllocator);
               var arrow = new org.apache.arrow.vector.VectorUnloader(batch).getRecordBatch()) {
            new org.apache.arrow.vector.VectorLoader(root).load(arrow);
            put.putNext();
          }
          int staged = sent - 1;
          Await.condition(java.time.Duration.ofSeconds(30), () -> stagedFiles(datasetDir) >= staged,
              staged + " staged chunks");
        }
        server.kill();
      } finally {
        try {
          doomed.close();
          doomedAllocator.close();
        } catch (Exception | Error cutOff) {
          // The client's call died with the server; what it still held is not the server's concern.
        }
      }
    }
    try (ServerProcess server = new ServerProcess(data, log, ROWS / CHUNKS);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      assertEquals(0, stagedFiles(data.resolve("datasets").resolve(STORED_NAME)), "staging left after restart");
      JsonObject info = new JsonObject(new String(client.getInfo(
          org.apache.arrow.flight.FlightDescriptor.path("datasets", "reviews")).getAppMetadata(),
          java.nio.charset.StandardCharsets.UTF_8));
      assertEquals(1, info.getInteger("version"), info.encode());
      long seen = 0;
      try (var stream = client.getStream(new org.apache.arrow.flight.Ticket(
          "dataset/reviews@1".getBytes(java.nio.charset.StandardCharsets.UTF_8)))) {
        while (stream.next()) {
          var id = (org.apache.arrow.vector.BigIntVector) stream.getRoot().getVector("id");
          for (int i = 0; i < stream.getRoot().getRowCount(); i++) {
            assertEquals(seen + i, id.get(i), "row order of version 1");
          }
          seen += stream.getRoot().getRowCount();
        }
      }
      assertEquals(rows, seen);
      String job = FlightClients.action(client, "apply", lfs).getString("job");
      byte[][] labels = FlightClients.labels(client, job, 3, rows);
      JsonObject end = FlightClients.awaitEnd(client, job, 60_000);
      assertEquals(0, end.getLong("lfChunkEvaluations"), "the cache of version 1 survived: " + end.encode());
      FlightClients.assertReviewLabels(allocator, 9, rows, HybridExecutionTest.LFS, labels);
      assertEquals(2, FlightClients.uploadReviews(client, allocator, "reviews", 10, 1_000).getInteger("version"));
    }
  }

  /** Chunk files in the staging directories of a dataset (uploads in progress). */
  private static long stagedFiles(Path datasetDir) throws java.io.IOException {
    if (!java.nio.file.Files.isDirectory(datasetDir)) {
      return 0;
    }
    try (var files = java.nio.file.Files.walk(datasetDir)) {
      return files.filter(p -> p.getParent().getFileName().toString().startsWith(".upload-")
          && p.getFileName().toString().endsWith(".arrow")).count();
    }
  }
}
