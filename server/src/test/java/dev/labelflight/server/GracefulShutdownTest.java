package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM: stop taking work, let running chunk tasks finish, close everything, exit 0. */
class GracefulShutdownTest {
  static final int ROWS = CrashRecoveryTest.ROWS;
  static final int CHUNKS = CrashRecoveryTest.CHUNKS;

  @TempDir Path dir;

  /**
   * Verifies that a server process given SIGTERM in the middle of a job exits 0 after its running chunk
   * tasks finished, leaves no half-written label-cache file, and that after a restart the dataset and
   * the cached chunks are intact: re-applying the LFs gives the right labels, computes only the chunks
   * that were never handed out, and a third apply computes nothing.
   */
  @Test
  void sigtermDuringAJobExitsZeroAndKeepsTheCache() throws Exception {
    Path data = dir.resolve("data");
    Path log = dir.resolve("server.log");
    int doneBeforeTerm;
    try (ServerProcess server = new ServerProcess(data, log, CrashRecoveryTest.ROWS / CrashRecoveryTest.CHUNKS);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 9, ROWS);
      String job = FlightClients.action(client, "apply", CrashRecoveryTest.body()).getString("job");
      JsonObject status = Await.until(java.time.Duration.ofSeconds(120), () -> FlightClients.action(client,
          "job_status", "{\"job\":\"" + job + "\"}"), s -> s.getInteger("chunksDone") >= 5, "five chunks done");
      assertEquals("RUNNING", status.getString("state"));
      doneBeforeTerm = status.getInteger("chunksDone");
      assertEquals(0, server.terminate(), "exit status after SIGTERM; see " + log);
    }
    String output = Files.readString(log);
    assertTrue(output.contains("running chunk tasks finished"), output);
    assertTrue(output.contains("shutdown complete"), output);
    try (Stream<Path> files = Files.walk(data.resolve("cache"))) {
      List<Path> partial = files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
      assertTrue(partial.isEmpty(), "half-written cache files: " + partial);
    }

    try (ServerProcess server = new ServerProcess(data, log, CrashRecoveryTest.ROWS / CrashRecoveryTest.CHUNKS);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      String job = FlightClients.action(client, "apply", CrashRecoveryTest.body()).getString("job");
      byte[][] labels = FlightClients.labels(client, job, 3, ROWS);
      JsonObject end = FlightClients.awaitEnd(client, job, 120_000);
      assertEquals("SUCCEEDED", end.getString("state"), end.encode());
      long computedChunks = end.getLong("lfChunkEvaluations") / 3;
      assertTrue(computedChunks <= CHUNKS - doneBeforeTerm,
          computedChunks + " chunks computed, but " + doneBeforeTerm + " were done before SIGTERM");
      FlightClients.assertReviewLabels(allocator, 9, ROWS, HybridExecutionTest.LFS, labels);
      String again = FlightClients.action(client, "apply", CrashRecoveryTest.body()).getString("job");
      assertEquals(0, FlightClients.awaitEnd(client, again, 60_000).getLong("lfChunkEvaluations"));
      assertEquals(0, server.terminate());
    }
  }

  /** Verifies that once draining, uploads and applies fail with UNAVAILABLE "shutting down" while reads still work. */
  @Test
  void drainingRefusesNewWork() throws Exception {
    try (TestServer server = new TestServer(dir.resolve("data"), 1_000);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 3, 2_000);
      server.server.drain(10_000);
      FlightRuntimeException apply = assertThrows(FlightRuntimeException.class,
          () -> FlightClients.action(client, "apply", CrashRecoveryTest.body()));
      assertEquals(CallStatus.UNAVAILABLE.code(), apply.status().code());
      assertTrue(apply.getMessage().contains("shutting down"), apply.getMessage());
      FlightRuntimeException upload = assertThrows(FlightRuntimeException.class,
          () -> FlightClients.uploadReviews(client, allocator, "more", 3, 100));
      assertEquals(CallStatus.UNAVAILABLE.code(), upload.status().code());
      assertTrue(upload.getMessage().contains("shutting down"), upload.getMessage());
      assertEquals(200, server.health());
      // The browser's path to apply is refused too.
      Throwable bus = assertThrows(java.util.concurrent.ExecutionException.class, () -> server.server.vertx().eventBus()
          .request(dev.labelflight.verticles.bus.Addresses.APPLY, CrashRecoveryTest.body())
          .toCompletionStage().toCompletableFuture().get()).getCause();
      assertTrue(bus.getMessage().contains("shutting down"), bus.getMessage());
    }
  }

  /**
   * Verifies that once the drain time has passed, the node stops the work that still runs: a job whose chunk
   * tasks wait for memory ends FAILED, saying the node shut down, soon after the drain time (not after the
   * memory wait or the job), and no chunk task holds or waits for memory afterwards.
   */
  @Test
  void pastTheDrainTimeRunningWorkIsStopped() throws Exception {
    try (TestServer server = new TestServer(dir.resolve("data"), 1_000);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 3, 3_000);
      var pool = server.server.node().memoryPool();
      try (var hold = pool.newReservation("test hold")) {
        assertTrue(hold.trySetBytes(pool.freeBytes()));
        String job = FlightClients.action(client, "apply", CrashRecoveryTest.body()).getString("job");
        // Both workers took a task and wait for its memory.
        Await.until(java.time.Duration.ofSeconds(30), () -> server.server.vertx().eventBus()
            .<io.vertx.core.json.JsonObject>request(dev.labelflight.verticles.bus.Addresses.NODE_STATS, new JsonObject())
            .toCompletionStage().toCompletableFuture().get().body().getInteger("inFlight"), n -> n == 2, "tasks running");
        long started = System.nanoTime();
        server.server.drain(500);
        long drainedMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(drainedMs < 5_000, "drained " + drainedMs + " ms after a drain time of 500 ms");
        JsonObject status = FlightClients.action(client, "job_status", "{\"job\":\"" + job + "\"}");
        assertEquals("FAILED", status.getString("state"), status.encode());
        assertTrue(status.getString("error").contains("shut down"), status.getString("error"));
        assertEquals("UNAVAILABLE", status.getString("errorKind"));
        assertEquals(java.util.Map.of("test hold", hold.bytes()), pool.reservationsByHolder(), "only the test holds memory");
      }
    }
  }
}
