package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.demo.ReviewsGenerator;
import io.vertx.core.json.JsonObject;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightGrpcUtils;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
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
 * Faults and hostile input through a real server: a schema change mid-upload, clients that vanish in
 * the middle of a download, damaged files on disk, and expressions that would run forever. Each ends in a
 * clear error (or a correct recomputation), and no Arrow memory is left behind: the server's allocator
 * is back to zero after each, and closing the server at the end fails on any leaked buffer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultSuiteTest {
  static final int ROWS = 60_000;

  @TempDir static Path dir;
  TestServer server;
  RootAllocator allocator;
  FlightClient client;

  @BeforeAll
  void start() throws Exception {
    JsonObject overrides = new JsonObject()
        .put("resident", new JsonObject().put("enabled", false))
        .put("limits", new JsonObject().put("expressionChunkDeadlineMs", 300));
    server = new TestServer(dir, 1_000, overrides);
    allocator = new RootAllocator();
    client = FlightClients.connect(allocator, server);
    int[] batches = new int[ROWS / 5_000];
    java.util.Arrays.fill(batches, 5_000);
    FlightClients.uploadReviews(client, allocator, "reviews", 11, batches);
    FlightClients.uploadReviews(client, allocator, "small", 12, 2_000);
  }

  @AfterAll
  void stop() throws Exception {
    client.close();
    allocator.close();
    server.close(); // throws if the server's root allocator is not empty
    assertEquals(List.of(), server.blockedEventLoops);
  }

  /** Waits until the server holds no Arrow memory (nothing runs between the steps of these tests). */
  private void assertArrowMemoryReleased() throws InterruptedException {
    BufferAllocator node = server.server.node().allocator();
    long deadline = System.currentTimeMillis() + 15_000;
    while (node.getAllocatedMemory() > 0 && System.currentTimeMillis() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20)); // poll; bounded by the deadline
    }
    assertEquals(0, node.getAllocatedMemory(), () -> "Arrow memory still held:\n" + node.toVerboseString());
  }

  private String applyOn(String dataset, String lfs) {
    return HybridExecutionTest.apply(client, dataset, lfs, "queue", "faults");
  }

  private static final String KEYWORD =
      "[{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"free\",\"great\"],\"label\":\"SPAM\"}]";

  private void assertStillServing() throws Exception {
    assertEquals(200, server.health());
    String job = applyOn("small", KEYWORD);
    assertEquals("SUCCEEDED", FlightClients.awaitEnd(client, job, 60_000).getString("state"));
  }

  /**
   * Verifies that a DoPut whose schema changes after some batches (the client sends a second schema
   * message) is refused with INVALID_ARGUMENT saying so, and stores neither a version nor a file: both when
   * the server still holds earlier batches as the new schema arrives, and when it has taken them all (the
   * client pauses first), where Flight would otherwise hand the old, emptied root back as if it were data.
   */
  @Test
  void schemaChangeMidUpload() throws Exception {
    for (long pauseMs : new long[] {0, 500}) {
      String name = "shifty" + pauseMs;
      FlightRuntimeException e = assertThrows(FlightRuntimeException.class, () -> uploadThenChangeSchema(name, pauseMs));
      assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code(), e.toString());
      assertTrue(e.getMessage().contains("schema changed"), e.getMessage());
      String stored = dev.labelflight.engine.store.DatasetNames.qualify(TestServer.USER, name);
      assertTrue(server.server.node().datasets().versions(stored).isEmpty());
      long deadline = System.currentTimeMillis() + 10_000;
      Path d = dir.resolve("datasets").resolve(stored);
      while (filesUnder(d) > 0 && System.currentTimeMillis() < deadline) {
        java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(50)); // poll; bounded by the deadline
      }
      assertEquals(0, filesUnder(d), "stray files of the refused upload");
    }
    assertArrowMemoryReleased();
    assertStillServing();
  }

  private void uploadThenChangeSchema(String name, long pauseMs) throws Exception {
    Schema other = new Schema(List.of(new Field("n", FieldType.nullable(new ArrowType.Int(32, true)), null)));
    ReviewsGenerator generator = new ReviewsGenerator(3);
    try (VectorSchemaRoot first = VectorSchemaRoot.create(ReviewsGenerator.SCHEMA, allocator);
         VectorSchemaRoot second = VectorSchemaRoot.create(other, allocator);
         SyncPutListener ack = new SyncPutListener()) {
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("datasets", name), first, ack);
      for (int row = 0; row < 3_000; row += 1_500) {
        try (VectorSchemaRoot batch = generator.batch(row, 1_500, allocator);
             ArrowRecordBatch arrow = new VectorUnloader(batch).getRecordBatch()) {
          new VectorLoader(first).load(arrow);
          put.putNext();
        }
      }
      java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(pauseMs)); // the client pauses mid-upload (a slow client), then breaks the schema
      put.start(second);
      org.apache.arrow.vector.IntVector n = (org.apache.arrow.vector.IntVector) second.getVector(0);
      n.allocateNew(10);
      for (int i = 0; i < 10; i++) {
        n.set(i, i);
      }
      second.setRowCount(10);
      put.putNext();
      put.completed();
      put.getResult();
    }
  }

  /**
   * Verifies that a chunk write that fails on the server's writer thread after the client sent its last
   * batch (the upload's staging directory vanished) fails the DoPut with INTERNAL naming the chunk, and
   * leaves no version, no file and no Arrow memory behind.
   */
  @Test
  void chunkWriteFailingAfterTheLastBatch() throws Exception {
    String name = "unwritable";
    String stored = dev.labelflight.engine.store.DatasetNames.qualify(TestServer.USER, name);
    Path d = dir.resolve("datasets").resolve(stored);
    ReviewsGenerator generator = new ReviewsGenerator(5);
    FlightRuntimeException e;
    try (VectorSchemaRoot root = VectorSchemaRoot.create(ReviewsGenerator.SCHEMA, allocator);
         SyncPutListener ack = new SyncPutListener()) {
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("datasets", name), root, ack);
      // Fewer rows than a chunk: nothing reaches the disk until the server commits.
      try (VectorSchemaRoot batch = generator.batch(0, 500, allocator);
           ArrowRecordBatch arrow = new VectorUnloader(batch).getRecordBatch()) {
        new VectorLoader(root).load(arrow);
        put.putNext();
      }
      Path staging = awaitStaging(d);
      dev.labelflight.engine.store.AtomicFiles.deleteRecursively(staging);
      put.completed();
      e = assertThrows(FlightRuntimeException.class, put::getResult);
    }
    assertEquals(FlightStatusCode.INTERNAL, e.status().code(), e.toString());
    assertTrue(e.getMessage().contains("cannot write chunk 0 of '" + name + "'"), e.getMessage());
    assertTrue(server.server.node().datasets().versions(stored).isEmpty());
    assertEquals(0, filesUnder(d), "stray files of the failed upload");
    assertArrowMemoryReleased();
    assertStillServing();
  }

  /** The staging directory of the one upload in progress under {@code datasetDir}, once the server made it. */
  private static Path awaitStaging(Path datasetDir) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      if (Files.isDirectory(datasetDir)) {
        try (Stream<Path> entries = Files.list(datasetDir)) {
          java.util.Optional<Path> staging = entries.filter(p -> p.getFileName().toString().startsWith(".upload-"))
              .findFirst();
          if (staging.isPresent()) {
            return staging.get();
          }
        }
      }
      java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20)); // poll; bounded by the deadline
    }
    throw new AssertionError("the server never started the upload in " + datasetDir);
  }

  private static long filesUnder(Path d) throws Exception {
    if (!Files.exists(d)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(d)) {
      return files.filter(Files::isRegularFile).count();
    }
  }

  /** Opens a stream on a channel of its own, reads one batch, then drops the connection without a word. */
  private void readOneBatchAndVanish(String ticket) throws Exception {
    io.grpc.ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", server.flightPort())
        .usePlaintext().build();
    try (RootAllocator own = new RootAllocator();
         FlightClient doomed = FlightGrpcUtils.createFlightClient(own, channel)) {
      org.apache.arrow.flight.FlightCallHeaders auth = new org.apache.arrow.flight.FlightCallHeaders();
      auth.insert("authorization", "Bearer " + TestServer.TOKEN);
      FlightStream stream = doomed.getStream(new Ticket(ticket.getBytes(StandardCharsets.UTF_8)),
          new org.apache.arrow.flight.HeaderCallOption(auth));
      assertTrue(stream.next(), "the first batch of " + ticket);
      channel.shutdownNow();
      assertTrue(channel.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS));
      try {
        stream.close();
      } catch (Exception expected) {
        // The stream's call was cut: closing it reports that.
      }
    }
  }

  /**
   * Verifies that clients disconnecting in the middle of a dataset download (of about 10 MiB, far more
   * than gRPC buffers) and of a label stream leave no Arrow buffer on the server, and that it keeps
   * serving.
   */
  @Test
  void clientDisconnectMidDoGet() throws Exception {
    readOneBatchAndVanish("dataset/reviews@1");
    assertArrowMemoryReleased();
    String job = applyOn("reviews", KEYWORD);
    readOneBatchAndVanish("labels/" + job);
    FlightClients.awaitEnd(client, job, 120_000);
    assertArrowMemoryReleased();
    assertStillServing();
  }

  private static Path datasetChunk(String name, int chunk) {
    return dir.resolve("datasets").resolve(dev.labelflight.engine.store.DatasetNames.qualify(TestServer.USER, name)).resolve("v000001").resolve(String.format("chunk-%06d.arrow", chunk));
  }

  /**
   * Verifies that a truncated chunk file is reported as corrupt, naming the chunk, by a job over it (which
   * fails instead of labelling it), by its label stream and by a download of the dataset; and that the
   * other datasets are unaffected.
   */
  @Test
  void truncatedChunkIsReportedNeverLabelled() throws Exception {
    FlightClients.uploadReviews(client, allocator, "fragile", 13, 5_000);
    Path chunk = datasetChunk("fragile", 2);
    try (RandomAccessFile file = new RandomAccessFile(chunk.toFile(), "rw")) {
      file.setLength(file.length() / 2);
    }
    String job = applyOn("fragile", KEYWORD);
    JsonObject end = FlightClients.awaitEnd(client, job, 60_000);
    assertEquals("FAILED", end.getString("state"), end.encode());
    assertTrue(end.getString("error").contains("chunk 2") && end.getString("error").contains("corrupt"), end.encode());
    FlightRuntimeException labels = assertThrows(FlightRuntimeException.class,
        () -> FlightClients.labels(client, job, 1, 5_000));
    assertTrue(labels.getMessage().contains("FAILED") || labels.getMessage().contains("corrupt"), labels.getMessage());
    FlightRuntimeException download = assertThrows(FlightRuntimeException.class, () -> {
      try (FlightStream s = client.getStream(new Ticket("dataset/fragile@1".getBytes(StandardCharsets.UTF_8)))) {
        while (s.next()) {
          // chunks 0 and 1 are intact
        }
      }
    });
    assertEquals(FlightStatusCode.INTERNAL, download.status().code(), download.toString());
    assertTrue(download.getMessage().contains("chunk 2") && download.getMessage().contains("corrupt"),
        download.getMessage());
    assertArrowMemoryReleased();
    assertStillServing();
  }

  /**
   * Verifies that a damaged label-cache segment (one flipped byte) is detected by its checksum and its
   * chunk recomputed: re-applying the same LF gives the same labels, computing that one chunk only.
   */
  @Test
  void corruptCacheSegmentIsRecomputed() throws Exception {
    String lf = "[{\"name\":\"re\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"[Ff]ree|ok\",\"label\":\"SPAM\"}]";
    String first = applyOn("small", lf);
    byte[][] expected = FlightClients.labels(client, first, 1, 2_000);
    assertEquals("SUCCEEDED", FlightClients.awaitEnd(client, first, 60_000).getString("state"));
    Path segment;
    try (Stream<Path> files = Files.walk(dir.resolve("cache").resolve(
        dev.labelflight.engine.store.DatasetNames.qualify(TestServer.USER, "small")))) {
      segment = files.filter(p -> p.toString().contains("chunk-000001") && p.toString().endsWith(".arrow"))
          .findFirst().orElseThrow();
    }
    try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
      long at = file.length() / 2;
      file.seek(at);
      int b = file.read();
      file.seek(at);
      file.write(b ^ 0x5a);
    }
    String again = applyOn("small", lf);
    byte[][] labels = FlightClients.labels(client, again, 1, 2_000);
    JsonObject end = FlightClients.awaitEnd(client, again, 60_000);
    assertEquals("SUCCEEDED", end.getString("state"), end.encode());
    assertEquals(1, end.getLong("lfChunkEvaluations"), "only the damaged chunk is recomputed: " + end.encode());
    assertArrayEquals(expected[0], labels[0]);
    assertArrowMemoryReleased();
  }

  private static String list(int n) {
    return IntStream.range(0, n).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]"));
  }

  private static String nested(String name, int n) {
    String l = list(n);
    return "[{\"name\":\"" + name + "\",\"kind\":\"expression\",\"label\":\"SPAM\",\"expr\":\"" + l + ".exists(a, " + l
        + ".exists(b, " + l + ".exists(c, a + b + c == stars + 1000)))\"}]";
  }

  /**
   * Verifies that nested comprehensions that would run for hours are stopped by the CEL limits: over
   * comprehensionMaxIterations per row, the job fails naming the LF at its first row; under it but slow,
   * the per-chunk deadline (300 ms here) stops it with an error naming the deadline. The workers are free
   * again right after (a small job succeeds).
   */
  @Test
  void runawayExpressionsAreStoppedByTheirLimits() throws Exception {
    String budget = applyOn("small", nested("cubed", 30)); // 27,000 iterations per row > 10,000
    JsonObject end = FlightClients.awaitEnd(client, budget, 60_000);
    assertEquals("FAILED", end.getString("state"), end.encode());
    assertTrue(end.getString("error").contains("LF 'cubed'"), end.encode());
    assertTrue(end.getString("error").toLowerCase(java.util.Locale.ROOT).contains("iteration"), end.encode());

    String slow = applyOn("small", nested("slow", 20)); // 8,000 iterations per row, 2,000 rows: minutes
    end = FlightClients.awaitEnd(client, slow, 60_000);
    assertEquals("FAILED", end.getString("state"), end.encode());
    assertTrue(end.getString("error").contains("LF 'slow'") && end.getString("error").contains("deadline") && end.getString("error").contains("300 ms"),
        end.encode());
    assertArrowMemoryReleased();
    assertStillServing();
  }
}
