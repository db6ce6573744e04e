package dev.labelflight.server;

import dev.labelflight.engine.memory.footprint.ChunkFootprint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.store.Manifest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The router, the resident path, fairness, cancel and memory estimates, through a real server. */
class HybridExecutionTest {
  static final String LFS = """
      [{"name":"kw_spam","kind":"keyword","column":"text","keywords":["free money","winner","click here"],"label":"SPAM"},
       {"name":"re_url","kind":"regex","column":"text","pattern":"https?://","label":"SPAM"},
       {"name":"low_stars","kind":"numeric","column":"stars","op":"<","value":3,"label":"SPAM"}]
      """;
  /** The same LFs with the regex changed and the keyword LF renamed (a rename must not cost a recomputation). */
  static final String LFS_EDITED = """
      [{"name":"spam_words","kind":"keyword","column":"text","keywords":["free money","winner","click here"],"label":"SPAM"},
       {"name":"re_url","kind":"regex","column":"text","pattern":"https://","label":"SPAM"},
       {"name":"low_stars","kind":"numeric","column":"stars","op":"<","value":3,"label":"SPAM"}]
      """;

  @TempDir Path dir;

  static String apply(FlightClient client, String dataset, String lfs, String mode, String user) {
    return FlightClients.action(client, "apply", "{\"dataset\":\"" + dataset + "\",\"labels\":[\"HAM\",\"SPAM\"],"
        + "\"mode\":\"" + mode + "\",\"user\":\"" + user + "\",\"lfs\":" + lfs + "}").getString("job");
  }

  static FlightClient client(BufferAllocator allocator, TestServer server) {
    return server.client(allocator);
  }

  /**
   * Verifies that the columns a resident job leaves to the label cache's background writer are served
   * right away (the job's labels are right) and reach the disk by a graceful stop: after a restart on the
   * same data directory the same LFs compute nothing, on the task queue, whose cache has no heap layer.
   */
  @Test
  void residentColumnsWrittenBehindSurviveARestart() throws Exception {
    int rows = 6_000;
    JsonObject hot = new JsonObject().put("cache", new JsonObject().put("hotMiB", 16));
    try (TestServer server = new TestServer(dir, 2_000, hot);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = client(allocator, server)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 7, rows);
      String job = apply(client, "reviews", LFS, "resident", "ann");
      byte[][] labels = FlightClients.labels(client, job, 3, rows);
      JsonObject end = FlightClients.awaitEnd(client, job, 60_000);
      assertEquals("resident", end.getString("path"), end.encode());
      assertEquals(9, end.getLong("lfChunkEvaluations"));
      FlightClients.assertReviewLabels(allocator, 7, rows, LFS, labels);
    }
    try (TestServer server = new TestServer(dir, 2_000);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = client(allocator, server)) {
      String job = apply(client, "reviews", LFS, "queue", "ann");
      byte[][] labels = FlightClients.labels(client, job, 3, rows);
      JsonObject end = FlightClients.awaitEnd(client, job, 60_000);
      assertEquals(0, end.getLong("lfChunkEvaluations"), end.encode());
      FlightClients.assertReviewLabels(allocator, 7, rows, LFS, labels);
    }
  }

  /**
   * Verifies that auto mode first runs on the queue while a resident copy loads, then on the resident
   * copy; that a second apply with one LF changed and one renamed computes only the changed LF (by the
   * evaluation count); and that both label matrices match the reference on every row.
   */
  @Test
  void residentRepeatedApplyComputesOnlyTheChangedLf() throws Exception {
    int rows = 20_000;
    try (TestServer server = new TestServer(dir, 2_000, new JsonObject().put("cache", new JsonObject().put("hotMiB", 16)));
         RootAllocator allocator = new RootAllocator();
         FlightClient client = client(allocator, server)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 5, rows);
      String first = apply(client, "reviews", LFS, "auto", "ann");
      JsonObject s1 = FlightClients.awaitEnd(client, first, 60_000);
      assertEquals("SUCCEEDED", s1.getString("state"), s1.encode());
      assertEquals("queue", s1.getString("path"));
      assertTrue(s1.getString("route").contains("loading a resident copy"), s1.getString("route"));
      assertEquals(30, s1.getLong("lfChunkEvaluations"));
      FlightClients.assertReviewLabels(allocator, 5, rows, LFS, FlightClients.labels(client, first, 3, rows));

      // Once loaded, the same LFs are served by the resident copy, entirely from the cache.
      JsonObject s2;
      long deadline = System.currentTimeMillis() + 30_000;
      do {
        s2 = FlightClients.awaitEnd(client, apply(client, "reviews", LFS, "auto", "ann"), 60_000);
      } while (!s2.getString("path").equals("resident") && System.currentTimeMillis() < deadline);
      assertEquals("resident", s2.getString("path"), s2.encode());
      assertEquals("dataset is resident", s2.getString("route"));
      assertEquals(0, s2.getLong("lfChunkEvaluations"));

      long before = server.server.node().labeler().lfChunkEvaluations();
      String edited = apply(client, "reviews", LFS_EDITED, "auto", "ann");
      JsonObject s3 = FlightClients.awaitEnd(client, edited, 60_000);
      assertEquals("SUCCEEDED", s3.getString("state"), s3.encode());
      assertEquals("resident", s3.getString("path"));
      assertEquals(new JsonArray().add("re_url"), s3.getJsonArray("computedLfs"));
      assertEquals(10, s3.getLong("lfChunkEvaluations"), "one LF over 10 chunks");
      assertEquals(10, server.server.node().labeler().lfChunkEvaluations() - before);
      FlightClients.assertReviewLabels(allocator, 5, rows, LFS_EDITED, FlightClients.labels(client, edited, 3, rows));

      // A keyword edit on the resident copy scans only the rows its kept text's signatures allow.
      String keywordEdited = LFS_EDITED.replace("\"click here\"]", "\"click here\",\"Excellent\",\"fits well\"]");
      String fourth = apply(client, "reviews", keywordEdited, "auto", "ann");
      JsonObject s4 = FlightClients.awaitEnd(client, fourth, 60_000);
      assertEquals("resident", s4.getString("path"), s4.encode());
      assertEquals(new JsonArray().add("spam_words"), s4.getJsonArray("computedLfs"));
      FlightClients.assertReviewLabels(allocator, 5, rows, keywordEdited, FlightClients.labels(client, fourth, 3, rows));
      assertEquals(List.of(), server.blockedEventLoops);
    }
  }

  /** Verifies that a one-chunk job of another user, submitted while a long job runs, finishes before it. */
  @Test
  void smallJobOvertakesLargeOne() throws Exception {
    try (TestServer server = new TestServer(dir, 500, new JsonObject().put("workers", new JsonObject().put("instances", 1)));
         RootAllocator allocator = new RootAllocator();
         FlightClient client = client(allocator, server)) {
      FlightClients.uploadReviews(client, allocator, "big", 1, 60_000);
      FlightClients.uploadReviews(client, allocator, "small", 2, 400);
      String big = apply(client, "big", LFS, "queue", "bob");
      Await.until(java.time.Duration.ofSeconds(60), () -> FlightClients.action(client, "job_status",
          "{\"job\":\"" + big + "\"}").getInteger("chunksDone"), done -> done >= 2, "two chunks of the big job");
      String small = apply(client, "small", LFS, "queue", "sue");
      JsonObject smallEnd = FlightClients.awaitEnd(client, small, 60_000);
      JsonObject bigNow = FlightClients.action(client, "job_status", "{\"job\":\"" + big + "\"}");
      assertEquals("SUCCEEDED", smallEnd.getString("state"));
      assertEquals("RUNNING", bigNow.getString("state"), "the small job must not wait for the large one");
      assertTrue(bigNow.getInteger("chunksDone") < bigNow.getInteger("chunksTotal") - 10, bigNow.encode());
      assertEquals("SUCCEEDED", FlightClients.awaitEnd(client, big, 120_000).getString("state"));
    }
  }

  /**
   * Verifies that cancel answers CANCELLED only once the job's work has stopped: at that moment no chunk
   * task holds memory any more, and no chunk of it is evaluated afterwards; that the job did not run to its
   * end; and that its label stream ends with CANCELLED.
   */
  @Test
  void cancelStopsWorkAndReleasesBudget() throws Exception {
    try (TestServer server = new TestServer(dir, 500);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = client(allocator, server)) {
      FlightClients.uploadReviews(client, allocator, "big", 1, 60_000);
      String job = apply(client, "big", LFS, "queue", "bob");
      Await.until(java.time.Duration.ofSeconds(60), () -> FlightClients.action(client, "job_status",
          "{\"job\":\"" + job + "\"}").getInteger("chunksDone"), done -> done >= 1, "a chunk of the job");
      JsonObject cancelled = FlightClients.action(client, "cancel", "{\"job\":\"" + job + "\"}");
      assertEquals("CANCELLED", cancelled.getString("state"), cancelled.encode());
      var budget = server.server.node().memoryPool();
      assertEquals(budget.maxBytes(), budget.freeBytes(), "no chunk task holds memory once the job is CANCELLED: "
          + budget.reservationsByHolder());
      long evaluations = server.server.node().labeler().lfChunkEvaluations();
      assertTrue(evaluations / 3 < 120, "the job must not run to its end");
      FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
          () -> FlightClients.labels(client, job, 3, 60_000));
      assertEquals(CallStatus.CANCELLED.code(), e.status().code());
      assertEquals(evaluations, server.server.node().labeler().lfChunkEvaluations(), "no chunk ran after the cancel");
      assertEquals(budget.maxBytes(), server.server.cluster().freeBytesOf(server.server.cluster().nodeId()));
    }
  }

  /**
   * Verifies that a chunk whose memory estimate is too low fails its first attempt cleanly on the capped
   * allocator and succeeds when retried with a larger one; and that when the retry is too small as well
   * the job fails with RESOURCE_EXHAUSTED naming the estimate, the server stays healthy and the budget
   * returns to full.
   */
  @Test
  void tooLowEstimateIsRetriedThenReported() throws Exception {
    int rows = 4_000;
    long need;
    long estimate;
    // What reading one chunk really takes, measured on the same kind of allocator the worker uses.
    try (TestServer probe = new TestServer(dir.resolve("probe"), 2_000);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = client(allocator, probe)) {
      FlightClients.uploadReviews(client, allocator, "r", 3, rows);
      Manifest m = probe.server.node().datasets()
          .manifest(dev.labelflight.engine.store.DatasetNames.qualify(TestServer.USER, "r"), 1);
      try (BufferAllocator child = allocator.newChildAllocator("probe", 0, Long.MAX_VALUE);
           VectorSchemaRoot chunk = probe.server.node().datasets().readChunk(m, 0, child)) {
        need = child.getAllocatedMemory();
      }
      estimate = ChunkFootprint.labelling(m.chunk(0), 3);
    }
    // First attempt gets half of what is needed, the retry twice: succeeds after one retry per chunk.
    double retryWorks = need / 2.0 / estimate;
    try (TestServer server = new TestServer(dir.resolve("a"), 2_000,
        new JsonObject().put("memory", new JsonObject().put("estimateScale", retryWorks)));
         RootAllocator allocator = new RootAllocator();
         FlightClient client = client(allocator, server)) {
      FlightClients.uploadReviews(client, allocator, "r", 3, rows);
      String job = apply(client, "r", LFS, "queue", "ann");
      JsonObject end = FlightClients.awaitEnd(client, job, 60_000);
      assertEquals("SUCCEEDED", end.getString("state"), end.encode());
      assertEquals(2, end.getInteger("retries"), "each of the 2 chunks was retried once");
      FlightClients.assertReviewLabels(allocator, 3, rows, LFS, FlightClients.labels(client, job, 3, rows));
    }
    // Retry gets half of what is needed too: the job fails with a clear message.
    double neverWorks = need / 8.0 / estimate;
    try (TestServer server = new TestServer(dir.resolve("b"), 2_000,
        new JsonObject().put("memory", new JsonObject().put("estimateScale", neverWorks)));
         RootAllocator allocator = new RootAllocator();
         FlightClient client = client(allocator, server)) {
      FlightClients.uploadReviews(client, allocator, "r", 3, rows);
      String job = apply(client, "r", LFS, "queue", "ann");
      JsonObject end = FlightClients.awaitEnd(client, job, 60_000);
      assertEquals("FAILED", end.getString("state"));
      assertTrue(end.getString("error").contains("needs more memory than its estimate"), end.getString("error"));
      assertEquals(200, server.health());
      var budget = server.server.node().memoryPool();
      assertEquals(budget.maxBytes(), budget.freeBytes());
      assertEquals(budget.maxBytes(), server.server.cluster().freeBytesOf(server.server.cluster().nodeId()));
    }
  }

  /**
   * Verifies that an idle resident dataset is evicted (least recently used) when a queued chunk needs
   * its budget, that the queued job then completes, and that a resident copy left idle past the TTL is
   * evicted too: each time every permit comes back.
   */
  @Test
  void residentsAreEvictedForQueuedWorkAndWhenIdle() throws Exception {
    try (TestServer server = new TestServer(dir, 2_000, new JsonObject()
        .put("memory", new JsonObject().put("budgetMiB", 24))
        .put("workers", new JsonObject().put("instances", 1))
        .put("resident", new JsonObject().put("idleMs", 3_000)));
         RootAllocator allocator = new RootAllocator();
         FlightClient client = client(allocator, server)) {
      var budget = server.server.node().memoryPool();
      FlightClients.uploadReviews(client, allocator, "small", 5, 20_000);
      JsonObject resident = FlightClients.awaitEnd(client, apply(client, "small", LFS, "resident", "ann"), 60_000);
      assertEquals("resident", resident.getString("path"), resident.encode());
      long held = budget.maxBytes() - budget.freeBytes();
      assertTrue(held > 0, "the resident copy holds its permits");

      // Chunks of ~8 MiB: each task needs more than what the resident copy leaves free.
      Manifest wide = OutOfCoreTest.writeLongText(server, allocator, "wide", 8_000);
      assertTrue(ChunkFootprint.labelling(wide.chunk(0), 2) > budget.freeBytes());
      JsonObject queued = FlightClients.awaitEnd(client, apply(client, "wide", OutOfCoreTest.LFS, "queue", "bob"), 120_000);
      assertEquals("SUCCEEDED", queued.getString("state"), queued.encode());
      assertEquals(budget.maxBytes(), budget.freeBytes(), "the resident copy was evicted and nothing else is held");

      // auto on the evicted dataset loads it again; left idle, it goes after the TTL.
      JsonObject again = FlightClients.awaitEnd(client, apply(client, "small", LFS, "auto", "ann"), 60_000);
      assertTrue(again.getString("route").contains("loading a resident copy"), again.getString("route"));
      Await.condition(java.time.Duration.ofSeconds(60), () -> budget.freeBytes() < budget.maxBytes(),
          "resident copy loaded");
      Await.condition(java.time.Duration.ofSeconds(60), () -> budget.freeBytes() == budget.maxBytes(),
          "idle resident evicted after its TTL");
      assertEquals(budget.maxBytes(), server.server.cluster().freeBytesOf(server.server.cluster().nodeId()));
    }
  }
}
