package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.lf.model.ModelRegistry;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16.4 end to end: a chunk whose LF is slow (a CEL comprehension of about 8,000 steps per row) is stopped
 * by cancel and by the job timeout within about a second, the job is reported CANCELLED / FAILED only then,
 * and the worker is free again. The evaluators' own checks of the job's cancel token are the engine's part;
 * until an evaluator observes a cancelled token these tests are skipped (the coordinator's part is covered
 * in process by TaskDispatcherTest and JobRegistryTest, and by HybridExecutionTest for cheap chunks).
 */
class JobCancelTest {
  /**
   * About 8,000 CEL steps per row (the inner loop rarely finds a match, the outer one rarely stops): a chunk of
   * 1,000 rows keeps a worker busy for seconds.
   */
  static final String SLOW_LF = "{\"name\":\"slow\",\"kind\":\"expression\",\"label\":\"HAM\",\"expr\":"
      + "\"[" + range(100) + "].all(i, ![" + range(80) + "].exists(j, (length + i * j) % 1000 == 999))\"}";

  @TempDir Path dir;

  private static String range(int n) {
    return String.join(",", java.util.stream.IntStream.range(0, n).mapToObj(String::valueOf).toList());
  }

  /** Whether the expression evaluator stops on a cancelled token (the engine's checks are in). */
  private static boolean evaluatorsObserveCancellation() throws Exception {
    LfSpec spec = LfSpec.parse(new ObjectMapper().readTree(SLOW_LF), 0);
    try (RootAllocator allocator = new RootAllocator();
         VectorSchemaRoot rows = new ReviewsGenerator(1).batch(0, 50, allocator);
         ModelRegistry models = new ModelRegistry(Path.of("models-unused"))) {
      var set = new LfCompiler(LfLimits.DEFAULT, models).compile(List.of(spec), new LabelSpace(List.of("HAM", "SPAM")),
          ReviewsGenerator.SCHEMA);
      CancelToken token = CancelToken.create();
      token.cancel(CancelToken.Reason.CANCELLED, "probe");
      try {
        token.within(() -> set.evaluate(rows));
        return false;
      } catch (CancelToken.CancelledException stopped) {
        return true;
      }
    }
  }

  private static JsonObject status(FlightClient client, String job) {
    return FlightClients.action(client, "job_status", "{\"job\":\"" + job + "\"}");
  }

  private String startSlowJob(TestServer server, FlightClient client, RootAllocator allocator) throws Exception {
    FlightClients.uploadReviews(client, allocator, "reviews", 3, 4_000);
    String job = FlightClients.action(client, "apply", "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],"
        + "\"mode\":\"queue\",\"lfs\":[" + SLOW_LF + "]}").getString("job");
    Await.until(Duration.ofSeconds(30), () -> server.server.vertx().eventBus()
        .<JsonObject>request(dev.labelflight.verticles.bus.Addresses.NODE_STATS, new JsonObject())
        .toCompletionStage().toCompletableFuture().get().body().getInteger("inFlight"), n -> n >= 1, "a chunk runs");
    return job;
  }

  /**
   * Verifies that cancel answers CANCELLED within about a second while a slow chunk runs, that at that
   * moment no chunk task holds memory, and that no chunk of the job is evaluated afterwards.
   */
  @Test
  void cancelStopsASlowChunkWithinASecond() throws Exception {
    Assumptions.assumeTrue(evaluatorsObserveCancellation(), "the evaluators do not check the cancel token yet");
    try (TestServer server = new TestServer(dir, 1_000, new JsonObject().put("workers",
             new JsonObject().put("instances", 1)));
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      String job = startSlowJob(server, client, allocator);
      long started = System.nanoTime();
      JsonObject cancelled = FlightClients.action(client, "cancel", "{\"job\":\"" + job + "\"}");
      long answeredMs = (System.nanoTime() - started) / 1_000_000;
      assertEquals("CANCELLED", cancelled.getString("state"), cancelled.encode());
      assertTrue(answeredMs < 1_500, "cancel answered after " + answeredMs + " ms");
      var pool = server.server.node().memoryPool();
      assertEquals(pool.maxBytes(), pool.freeBytes(), "no chunk task holds memory: " + pool.reservationsByHolder());
      assertEquals(0, server.server.node().labeler().lfChunkEvaluations(), "the slow chunk never finished");
    }
  }

  /** Verifies that the job timeout stops a slow chunk within about a second of the timeout and fails the job. */
  @Test
  void timeoutStopsASlowChunk() throws Exception {
    Assumptions.assumeTrue(evaluatorsObserveCancellation(), "the evaluators do not check the cancel token yet");
    try (TestServer server = new TestServer(dir, 1_000, new JsonObject()
             .put("workers", new JsonObject().put("instances", 1))
             .put("jobs", new JsonObject().put("timeoutMs", 1_500)));
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      String job = startSlowJob(server, client, allocator);
      JsonObject end = Await.until(Duration.ofSeconds(5), () -> status(client, job),
          s -> !s.getString("state").equals("RUNNING"), "the job times out");
      assertEquals("FAILED", end.getString("state"), end.encode());
      assertEquals("TIMED_OUT", end.getString("errorKind"), end.encode());
      var pool = server.server.node().memoryPool();
      assertEquals(pool.maxBytes(), pool.freeBytes(), "no chunk task holds memory: " + pool.reservationsByHolder());
    }
  }

  private static int inFlight(TestServer server) throws Exception {
    return server.server.vertx().eventBus()
        .<JsonObject>request(dev.labelflight.verticles.bus.Addresses.NODE_STATS, new JsonObject())
        .toCompletionStage().toCompletableFuture().get().body().getInteger("inFlight");
  }

  /**
   * Verifies the coordinator's side without depending on the evaluators: chunk tasks that wait for their
   * memory (all of it held by the test) are running work of their job; cancel answers CANCELLED only once
   * they have returned (no task in flight, only the test's reservation left), and the workers are free for
   * the next job as soon as memory is.
   */
  @Test
  void cancelAnswersOnceTheRunningTasksReturned() throws Exception {
    try (TestServer server = new TestServer(dir, 1_000);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 3, 4_000);
      var pool = server.server.node().memoryPool();
      var hold = pool.newReservation("test hold");
      assertTrue(hold.trySetBytes(pool.freeBytes()));
      String job = FlightClients.action(client, "apply", CrashRecoveryTest.body()).getString("job");
      Await.until(Duration.ofSeconds(30), () -> inFlight(server), n -> n == 2, "both workers run a task");
      JsonObject cancelled = FlightClients.action(client, "cancel", "{\"job\":\"" + job + "\"}");
      assertEquals("CANCELLED", cancelled.getString("state"), cancelled.encode());
      assertEquals(0, inFlight(server), "no task of the job runs once it is CANCELLED");
      assertEquals(java.util.Map.of("test hold", hold.bytes()), pool.reservationsByHolder());
      hold.close();
      String next = FlightClients.action(client, "apply", CrashRecoveryTest.body()).getString("job");
      JsonObject end = Await.until(Duration.ofSeconds(60), () -> status(client, next),
          st -> !st.getString("state").equals("RUNNING"), "the next job ends");
      assertEquals("SUCCEEDED", end.getString("state"), end.encode());
    }
  }
}
