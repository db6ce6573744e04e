package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.File;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

  /** A server in its own JVM, started from this test's class path with environment overrides. */
  static final class ServerProcess implements AutoCloseable {
    final Process process;
    final int port;

    ServerProcess(Path dataDir, Path log) throws Exception {
      port = freePort();
      ProcessBuilder builder = new ProcessBuilder(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx384m", "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "-cp", System.getProperty("java.class.path"), "dev.labelflight.server.Main"));
      Map<String, String> env = builder.environment();
      env.put("LABELFLIGHT_DATADIR", dataDir.toString());
      env.put("LABELFLIGHT_FLIGHT_PORT", String.valueOf(port));
      env.put("LABELFLIGHT_HTTP_PORT", String.valueOf(freePort()));
      env.put("LABELFLIGHT_DEMO_ENABLED", "false");
      env.put("LABELFLIGHT_STORE_CHUNKROWS", String.valueOf(ROWS / CHUNKS));
      env.put("LABELFLIGHT_WORKERS_INSTANCES", "1");
      env.put("LABELFLIGHT_MEMORY_BUDGETMIB", "128");
      builder.directory(dataDir.getParent().toFile());
      builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      process = builder.start();
      long deadline = System.currentTimeMillis() + 90_000;
      while (true) {
        try (Socket s = new Socket("127.0.0.1", port)) {
          return;
        } catch (java.io.IOException notYet) {
          if (!process.isAlive() || System.currentTimeMillis() > deadline) {
            throw new AssertionError("server process did not start; see " + log);
          }
          Thread.sleep(100);
        }
      }
    }

    /** SIGTERM; returns the exit status. */
    int terminate() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        throw new AssertionError("server still running 60 s after SIGTERM");
      }
      return process.exitValue();
    }

    void kill() throws InterruptedException {
      process.destroyForcibly(); // SIGKILL on Linux: no shutdown hook runs
      process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        kill();
      }
    }

    static int freePort() throws java.io.IOException {
      try (ServerSocket s = new ServerSocket(0)) {
        return s.getLocalPort();
      }
    }
  }

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
    try (ServerProcess server = new ServerProcess(data, log);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port)).build()) {
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
    try (ServerProcess server = new ServerProcess(data, log);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port)).build()) {
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
    try (ServerProcess server = new ServerProcess(data, log);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port)).build()) {
      FlightClients.uploadReviews(client, allocator, "reviews", 9, rows);
      String job = FlightClients.action(client, "apply", lfs).getString("job");
      assertEquals("SUCCEEDED", FlightClients.awaitEnd(client, job, 120_000).getString("state"));

      RootAllocator doomedAllocator = new RootAllocator();
      FlightClient doomed = FlightClient.builder(doomedAllocator, Location.forGrpcInsecure("127.0.0.1", server.port)).build();
      dev.labelflight.engine.demo.ReviewsGenerator generator = new dev.labelflight.engine.demo.ReviewsGenerator(10);
      try (org.apache.arrow.vector.VectorSchemaRoot root = org.apache.arrow.vector.VectorSchemaRoot.create(
               dev.labelflight.engine.demo.ReviewsGenerator.SCHEMA, doomedAllocator)) {
        var put = doomed.startPut(org.apache.arrow.flight.FlightDescriptor.path("datasets", "reviews"), root,
            new org.apache.arrow.flight.SyncPutListener());
        Path datasetDir = data.resolve("datasets").resolve("reviews");
        for (int row = 0; stagedFiles(datasetDir) < 5; row += 1_000) {
          assertTrue(row < 200_000, "the server never wrote a staged chunk");
          try (var batch = generator.batch(row, 1_000, doomedAllocator);
               var arrow = new org.apache.arrow.vector.VectorUnloader(batch).getRecordBatch()) {
            new org.apache.arrow.vector.VectorLoader(root).load(arrow);
            put.putNext();
          }
          Thread.sleep(20);
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
    try (ServerProcess server = new ServerProcess(data, log);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port)).build()) {
      assertEquals(0, stagedFiles(data.resolve("datasets").resolve("reviews")), "staging left after restart");
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
