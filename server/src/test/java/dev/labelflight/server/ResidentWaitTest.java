package dev.labelflight.server;

import dev.labelflight.engine.memory.footprint.ResidentFootprint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.store.DatasetNames;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16.1, the waits of a resident job, through a real server with part of its memory held by a test
 * reservation: a job's label arrays that do not fit beside its copy end the forced job in bounded time with
 * the bytes needed and free, and a job waiting for its copy's admission can be cancelled.
 */
class ResidentWaitTest {
  static final Duration BOUND = Duration.ofSeconds(20);

  @TempDir Path dir;

  private static String apply(FlightClient client, String dataset, String mode) {
    return FlightClients.action(client, "apply", "{\"dataset\":\"" + dataset + "\",\"labels\":[\"HAM\",\"SPAM\"],"
        + "\"mode\":\"" + mode + "\",\"lfs\":" + HybridExecutionTest.LFS + "}").getString("job");
  }

  private static JsonObject awaitEnd(FlightClient client, String job) throws Exception {
    return Await.until(BOUND, () -> FlightClients.action(client, "job_status", "{\"job\":\"" + job + "\"}"),
        s -> !s.getString("state").equals("RUNNING"), "job " + job + " ends");
  }

  /**
   * Verifies that when the memory left free is just above a resident copy's size, a forced resident job
   * gets its copy but not its label arrays: it fails RESOURCE_EXHAUSTED within the admission wait, saying
   * how many MiB it needs and how many were free; and a queued job then runs.
   */
  @Test
  void labelArraysThatDoNotFitBesideTheCopyEndTheForcedJobInTime() throws Exception {
    try (TestServer server = new TestServer(dir, 2_000, new JsonObject()
             .put("resident", new JsonObject().put("admissionWaitMs", 1_000)));
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "r", 5, 20_000);
      FlightClients.uploadReviews(client, allocator, "other", 6, 4_000);
      long copy = ResidentFootprint.of(server.server.node().datasets()
          .manifest(DatasetNames.qualify(TestServer.USER, "r"), 1));
      var pool = server.server.node().memoryPool();
      try (var hold = pool.newReservation("test hold")) {
        assertTrue(hold.trySetBytes(pool.freeBytes() - copy - (512 << 10)));
        long started = System.nanoTime();
        JsonObject end = awaitEnd(client, apply(client, "r", "resident"));
        long endedMs = (System.nanoTime() - started) / 1_000_000;
        assertEquals("FAILED", end.getString("state"), end.encode());
        assertEquals("RESOURCE_EXHAUSTED", end.getString("errorKind"), end.encode());
        assertTrue(end.getString("error").contains("but only 0 MiB of 256 MiB were free within 1000 ms"),
            end.getString("error"));
        assertTrue(endedMs < 10_000, "ended " + endedMs + " ms after the apply");
      }
      JsonObject other = awaitEnd(client, apply(client, "other", "queue"));
      assertEquals("SUCCEEDED", other.getString("state"), other.encode());
    }
  }

  /**
   * Verifies that a forced resident job waiting for its copy's admission (no memory free) is cancelled at
   * once: CANCELLED, and only the test's reservation holds memory afterwards.
   */
  @Test
  void aJobWaitingForItsCopyIsCancellable() throws Exception {
    try (TestServer server = new TestServer(dir, 2_000, new JsonObject()
             .put("resident", new JsonObject().put("admissionWaitMs", 60_000)));
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "r", 5, 20_000);
      var pool = server.server.node().memoryPool();
      try (var hold = pool.newReservation("test hold")) {
        assertTrue(hold.trySetBytes(pool.freeBytes()));
        String job = apply(client, "r", "resident");
        Await.until(BOUND, () -> FlightClients.action(client, "job_status", "{\"job\":\"" + job + "\"}"),
            s -> s.getString("path").equals("resident"), "the job waits for its copy");
        long started = System.nanoTime();
        JsonObject cancelled = FlightClients.action(client, "cancel", "{\"job\":\"" + job + "\"}");
        long answeredMs = (System.nanoTime() - started) / 1_000_000;
        assertEquals("CANCELLED", cancelled.getString("state"), cancelled.encode());
        assertTrue(answeredMs < 3_000, "cancel answered after " + answeredMs + " ms");
        assertEquals(Map.of("test hold", hold.bytes()), pool.reservationsByHolder());
      }
    }
  }
}
