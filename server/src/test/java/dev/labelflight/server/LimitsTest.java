package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limits of {@code conf/}: each exceeded one is refused with a status and a message naming it, stores
 * nothing, and leaves the server serving other users. One server with small limits for all of them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LimitsTest {
  static final int ROWS = 20_000;
  static final long JOB_TIMEOUT_MS = 3_000;
  static final Schema TEXT = new Schema(List.of(new Field("text", FieldType.nullable(new ArrowType.Utf8()), null)));

  @TempDir static Path dir;
  TestServer server;
  RootAllocator allocator;
  FlightClient client;

  @BeforeAll
  void start() throws Exception {
    JsonObject overrides = new JsonObject()
        .put("flight", new JsonObject().put("maxInboundMessageBytes", 4 << 20))
        .put("limits", new JsonObject().put("maxBatchBytes", 1 << 20).put("maxValueBytes", 64 << 10)
            .put("maxLfs", 5).put("maxRegexLength", 100).put("maxExpressionLength", 300)
            .put("maxExpressionDepth", 16).put("maxExpressionNodes", 100))
        .put("jobs", new JsonObject().put("maxRunningPerUser", 2).put("timeoutMs", JOB_TIMEOUT_MS));
    server = new TestServer(dir, 1_000, overrides);
    allocator = new RootAllocator();
    client = FlightClients.connect(allocator, server);
    int[] batches = new int[ROWS / 2_000];
    java.util.Arrays.fill(batches, 2_000);
    FlightClients.uploadReviews(client, allocator, "reviews", 7, batches);
    FlightClients.uploadReviews(client, allocator, "small", 8, 2_000);
  }

  @AfterAll
  void stop() throws Exception {
    client.close();
    allocator.close();
    server.close(); // fails if any Arrow buffer is left
    assertEquals(List.of(), server.blockedEventLoops);
  }

  private static VectorSchemaRoot textBatch(BufferAllocator allocator, int rows, int valueBytes) {
    VectorSchemaRoot root = VectorSchemaRoot.create(TEXT, allocator);
    VarCharVector text = (VarCharVector) root.getVector(0);
    text.allocateNew((long) rows * valueBytes, rows);
    byte[] value = "x".repeat(valueBytes).getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < rows; i++) {
      text.setSafe(i, value);
    }
    root.setRowCount(rows);
    return root;
  }

  private FlightRuntimeException uploadFails(String name, VectorSchemaRoot... batches) throws Exception {
    try {
      return assertThrows(FlightRuntimeException.class, () -> FlightClients.put(client, allocator, name, batches));
    } finally {
      for (VectorSchemaRoot b : batches) {
        b.close();
      }
    }
  }

  private void assertNothingStored(String name) throws Exception {
    String stored = dev.labelflight.engine.store.DatasetNames.qualify(TestServer.USER, name);
    assertTrue(server.server.node().datasets().versions(stored).isEmpty(), name + " has a version");
    Path d = dir.resolve("datasets").resolve(stored);
    Eventually.until(Duration.ofSeconds(10), () -> files(d) == 0, () -> files(d) + " stray files of the refused upload " + name);
  }

  private static long files(Path d) {
    try (Stream<Path> walk = Files.exists(d) ? Files.walk(d) : Stream.empty()) {
      return walk.filter(Files::isRegularFile).count();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Verifies that a record batch over limits.maxBatchBytes, a single value over limits.maxValueBytes (in
   * a later batch, after good ones were written) and a message over flight.maxInboundMessageBytes are
   * refused, the first two as INVALID_ARGUMENT naming the limit, the third by gRPC as RESOURCE_EXHAUSTED,
   * and that none leaves a version or a file behind while a good upload right after succeeds.
   */
  @Test
  void oversizedBatchValueAndMessageAreRefused() throws Exception {
    FlightRuntimeException batch = uploadFails("big-batch", textBatch(allocator, 40, 40 << 10));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, batch.status().code(), batch.getMessage());
    assertTrue(batch.getMessage().contains("limits.maxBatchBytes"), batch.getMessage());
    assertNothingStored("big-batch");

    FlightRuntimeException value = uploadFails("big-value", textBatch(allocator, 1_500, 10),
        textBatch(allocator, 1, 100 << 10));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, value.status().code(), value.getMessage());
    assertTrue(value.getMessage().contains("limits.maxValueBytes") && value.getMessage().contains("'text'"),
        value.getMessage());
    assertNothingStored("big-value");

    // gRPC refuses the message while it arrives and drops the sender's connection: a client of its own.
    try (FlightClient sender = FlightClients.connect(allocator, server);
         VectorSchemaRoot huge = textBatch(allocator, 100, 50 << 10)) {
      FlightRuntimeException message = assertThrows(FlightRuntimeException.class,
          () -> FlightClients.put(sender, allocator, "big-message", huge));
      assertTrue(List.of(FlightStatusCode.RESOURCE_EXHAUSTED, FlightStatusCode.UNAVAILABLE, FlightStatusCode.CANCELLED)
          .contains(message.status().code()), message.toString());
    }
    assertNothingStored("big-message");

    VectorSchemaRoot ok = textBatch(allocator, 100, 1_000);
    try {
      FlightClients.put(client, allocator, "fits", ok);
    } finally {
      ok.close();
    }
    assertEquals(List.of(1), server.server.node().datasets().versions(dev.labelflight.engine.store.DatasetNames.qualify(TestServer.USER, "fits")));
    assertEquals(200, server.health());
  }

  private void assertApplyRefused(String lfs, String... fragments) {
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
        () -> HybridExecutionTest.apply(client, "small", lfs, "queue", "lim"));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code(), e.getMessage());
    for (String fragment : fragments) {
      assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention " + fragment);
    }
  }

  private static String keyword(String name) {
    return "{\"name\":\"" + name + "\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"free\"],\"label\":\"SPAM\"}";
  }

  private static String expression(String name, String expr) {
    return "[{\"name\":\"" + name + "\",\"kind\":\"expression\",\"expr\":\"" + expr + "\",\"label\":\"SPAM\"}]";
  }

  /**
   * Verifies that more LFs than limits.maxLfs, a regex over limits.maxRegexLength and an expression over
   * the length, nesting and node limits are each refused at apply with INVALID_ARGUMENT naming the bound.
   */
  @Test
  void lfLimitsAreRefusedAtApply() {
    assertApplyRefused(IntStream.range(0, 6).mapToObj(i -> keyword("kw" + i))
        .collect(Collectors.joining(",", "[", "]")), "at most 5 LFs");
    assertApplyRefused("[{\"name\":\"long_re\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\""
        + "a".repeat(101) + "\",\"label\":\"SPAM\"}]", "LF 'long_re'", "longer than 100");
    assertApplyRefused(expression("long_expr", "stars > 1" + " && stars > 1".repeat(30)), "LF 'long_expr'",
        "longer than 300");
    assertApplyRefused(expression("deep", "(stars + ".repeat(20) + "1" + ")".repeat(20) + " > 2"), "LF 'deep'",
        "levels deep; at most 16");
    assertApplyRefused(expression("wide", "[" + "1,".repeat(119) + "1].size() > stars"), "LF 'wide'",
        "nodes; at most 100");
  }

  private JsonObject status(String job) {
    return FlightClients.action(client, "job_status", "{\"job\":\"" + job + "\"}");
  }

  private static final String KEYWORD = "[" + keyword("kw") + "]";

  /**
   * Takes every free permit of the node's budget, so that chunk tasks wait for memory: jobs then stay
   * RUNNING for as long as the test needs, whatever the machine's speed. Returns the bytes held.
   */
  private long holdBudget() {
    var pool = server.server.node().memoryPool();
    long bytes = pool.freeBytes();
    hold = pool.newReservation("test hold");
    assertTrue(hold.trySetBytes(bytes));
    return bytes;
  }

  private dev.labelflight.engine.memory.Reservation hold;

  private void release(long bytes) {
    hold.close();
  }

  private int probes;

  /**
   * Waits until every permit is back, then checks that no LF evaluation of an ended job happens any more:
   * while a fresh probe job (an LF never seen, so nothing cached) runs to its end, the node evaluates
   * exactly the probe's chunks.
   */
  private void assertWorkersIdle() throws Exception {
    var node = server.server.node();
    Eventually.until(Duration.ofSeconds(30), () -> node.memoryPool().freeBytes() == node.memoryPool().maxBytes(),
        () -> "every permit back: " + node.memoryPool().freeBytes() + " of " + node.memoryPool().maxBytes() + " free");
    long before = node.labeler().lfChunkEvaluations();
    String probe = HybridExecutionTest.apply(client, "small", "[{\"name\":\"probe\",\"kind\":\"keyword\","
        + "\"column\":\"text\",\"keywords\":[\"probe" + (probes++) + "\"],\"label\":\"SPAM\"}]", "queue", "probe");
    JsonObject end = FlightClients.awaitEnd(client, probe, 60_000);
    assertEquals("SUCCEEDED", end.getString("state"), end.encode());
    assertEquals(before + end.getLong("lfChunkEvaluations"), node.labeler().lfChunkEvaluations(),
        "no chunk of an ended job is evaluated: " + end.encode());
  }

  /**
   * Verifies that while two of a user's jobs run (waiting for memory), the user's third apply is refused
   * with RESOURCE_EXHAUSTED naming jobs.maxRunningPerUser, while another user's apply is accepted and its
   * job succeeds once memory is free; and that after the two are cancelled the user may run jobs again.
   */
  @Test
  void runningJobsPerUserAreBounded() throws Exception {
    String first;
    String second;
    String other;
    // Users are who authenticates (a body's "user" is ignored then): bob has a client and a dataset of his own.
    try (FlightClient bob = server.client(allocator, TestServer.OTHER_TOKEN)) {
    FlightClients.uploadReviews(bob, allocator, "small", 8, 2_000);
    long held = holdBudget();
    try {
      first = HybridExecutionTest.apply(client, "reviews", KEYWORD, "queue", "alice");
      second = HybridExecutionTest.apply(client, "reviews", KEYWORD, "queue", "alice");
      FlightRuntimeException third = assertThrows(FlightRuntimeException.class,
          () -> HybridExecutionTest.apply(client, "reviews", KEYWORD, "queue", "alice"));
      assertEquals(FlightStatusCode.RESOURCE_EXHAUSTED, third.status().code(), third.getMessage());
      assertTrue(third.getMessage().contains("jobs.maxRunningPerUser") && third.getMessage().contains("'alice'"),
          third.getMessage());
      other = HybridExecutionTest.apply(bob, "small", KEYWORD, "queue", "bob");
      assertEquals("RUNNING", status(first).getString("state"));
      for (String job : List.of(first, second)) {
        FlightClients.action(client, "cancel", "{\"job\":\"" + job + "\"}");
      }
    } finally {
      release(held);
    }
    JsonObject otherEnd = FlightClients.awaitEnd(bob, other, 60_000);
    assertEquals("SUCCEEDED", otherEnd.getString("state"), otherEnd.encode());
    }
    String again = HybridExecutionTest.apply(client, "small", KEYWORD, "queue", "alice");
    assertEquals("SUCCEEDED", FlightClients.awaitEnd(client, again, 60_000).getString("state"));
    assertWorkersIdle();
  }

  /**
   * Verifies that a job still running after jobs.timeoutMs fails with a status naming it before its chunks
   * were done, that its chunk tasks then stop (no more LF evaluations, every budget permit back once the
   * memory it waited for is free), and that its user can run a job right after.
   */
  @Test
  void jobTimeoutStopsTheJob() throws Exception {
    long held = holdBudget();
    String job;
    JsonObject end;
    try {
      job = HybridExecutionTest.apply(client, "reviews", KEYWORD, "queue", "carol");
      end = FlightClients.awaitEnd(client, job, 60_000);
    } finally {
      release(held);
    }
    assertEquals("FAILED", end.getString("state"), end.encode());
    assertTrue(end.getString("error").contains("jobs.timeoutMs = " + JOB_TIMEOUT_MS), end.encode());
    assertTrue(end.getInteger("chunksDone") < end.getInteger("chunksTotal"), end.encode());
    assertWorkersIdle();
    assertEquals("FAILED", status(job).getString("state"));
    String again = HybridExecutionTest.apply(client, "small", KEYWORD, "queue", "carol");
    assertEquals("SUCCEEDED", FlightClients.awaitEnd(client, again, 60_000).getString("state"));
  }
}
