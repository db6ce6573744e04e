package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.demo.ReviewsGenerator;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each bad input gets a Flight error whose code and message name the problem, and the server keeps
 * serving: after each, {@code /health} answers and a new upload succeeds.
 */
class BadInputTest {
  @TempDir Path dir;
  TestServer server;
  RootAllocator allocator;
  FlightClient client;
  int uploads;

  @BeforeEach
  void start() throws Exception {
    server = new TestServer(dir, 1000);
    allocator = new RootAllocator();
    client = server.client(allocator);
    FlightClients.uploadReviews(client, allocator, "reviews", 5, 2500);
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    allocator.close();
    server.close();
    assertEquals(List.of(), server.blockedEventLoops);
  }

  private void assertStillServing() throws Exception {
    assertEquals(200, server.health());
    JsonObject ack = FlightClients.uploadReviews(client, allocator, "after-" + (uploads++), 9, 1200);
    assertEquals(1200, ack.getLong("rows"));
  }

  private void assertApplyFails(String body, FlightStatusCode code, String... fragments) throws Exception {
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
        () -> FlightClients.action(client, "apply", body));
    assertEquals(code, e.status().code(), e.getMessage());
    for (String fragment : fragments) {
      assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention " + fragment);
    }
    assertStillServing();
  }

  private static String apply(String dataset, String labels, String lf) {
    return "{\"dataset\":\"" + dataset + "\",\"labels\":" + labels + ",\"lfs\":[" + lf + "]}";
  }

  static final String GOOD_LF = "{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"free\"],\"label\":\"SPAM\"}";

  /** Verifies that an unknown dataset is NOT_FOUND naming it. */
  @Test
  void unknownDataset() throws Exception {
    assertApplyFails(apply("nosuch", "[\"HAM\",\"SPAM\"]", GOOD_LF), FlightStatusCode.NOT_FOUND, "'nosuch'");
    assertApplyFails("{\"dataset\":\"reviews\",\"version\":7,\"labels\":[\"SPAM\"],\"lfs\":[" + GOOD_LF + "]}",
        FlightStatusCode.NOT_FOUND, "no version 7");
  }

  /** Verifies that an LF on an unknown column is INVALID_ARGUMENT naming LF and column. */
  @Test
  void unknownColumn() throws Exception {
    assertApplyFails(apply("reviews", "[\"HAM\",\"SPAM\"]",
            "{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"body\",\"keywords\":[\"free\"],\"label\":\"SPAM\"}"),
        FlightStatusCode.INVALID_ARGUMENT, "LF 'kw'", "unknown column 'body'");
  }

  /** Verifies that an LF on a column of the wrong type is INVALID_ARGUMENT naming the type. */
  @Test
  void wrongColumnType() throws Exception {
    assertApplyFails(apply("reviews", "[\"HAM\",\"SPAM\"]",
            "{\"name\":\"re\",\"kind\":\"regex\",\"column\":\"stars\",\"pattern\":\"1\",\"label\":\"SPAM\"}"),
        FlightStatusCode.INVALID_ARGUMENT, "LF 're'", "'stars'", "not text");
    assertApplyFails(apply("reviews", "[\"HAM\",\"SPAM\"]",
            "{\"name\":\"n\",\"kind\":\"numeric\",\"column\":\"text\",\"op\":\">\",\"value\":1,\"label\":\"SPAM\"}"),
        FlightStatusCode.INVALID_ARGUMENT, "LF 'n'", "not a number");
  }

  /**
   * Verifies that a Python LF on a node without Python LFs is refused when the job is submitted
   * (INVALID_ARGUMENT naming the LF and the setting), not left to fail the job once a chunk runs.
   */
  @Test
  void pythonLfRefusedWhereDisabled() throws Exception {
    assertApplyFails(apply("reviews", "[\"HAM\",\"SPAM\"]",
            "{\"name\":\"py_len\",\"kind\":\"python\",\"pickle\":\"gASVAAAAAAAAAAA=\",\"fingerprint\":\""
                + "ab".repeat(32) + "\",\"python\":\"3.11\",\"mode\":\"row\"}"),
        FlightStatusCode.INVALID_ARGUMENT, "LF 'py_len' (python)", "Python LFs are not enabled on this node");
  }

  /** Verifies that malformed JSON is INVALID_ARGUMENT saying so. */
  @Test
  void malformedJson() throws Exception {
    assertApplyFails("{\"dataset\": \"reviews\", \"labels\": [", FlightStatusCode.INVALID_ARGUMENT, "malformed JSON");
    assertApplyFails("[1,2]", FlightStatusCode.INVALID_ARGUMENT, "JSON object");
    assertApplyFails("{\"dataset\":\"reviews\",\"labels\":[\"A\"],\"lfs\":[],\"lf\":1}",
        FlightStatusCode.INVALID_ARGUMENT, "unknown field 'lf'");
  }

  /** Verifies that a regex RE2J rejects is INVALID_ARGUMENT naming the LF. */
  @Test
  void invalidRegex() throws Exception {
    assertApplyFails(apply("reviews", "[\"HAM\",\"SPAM\"]",
            "{\"name\":\"bad_re\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"(free|\",\"label\":\"SPAM\"}"),
        FlightStatusCode.INVALID_ARGUMENT, "LF 'bad_re'", "invalid regex");
  }

  /** Verifies that an empty label list is INVALID_ARGUMENT saying so. */
  @Test
  void emptyLabels() throws Exception {
    assertApplyFails(apply("reviews", "[]", GOOD_LF), FlightStatusCode.INVALID_ARGUMENT, "'labels' is empty");
  }

  /** Verifies that unknown jobs, tickets and actions are answered with clear errors. */
  @Test
  void unknownJobTicketAndAction() throws Exception {
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
        () -> FlightClients.action(client, "job_status", "{\"job\":\"0000\"}"));
    assertEquals(FlightStatusCode.NOT_FOUND, e.status().code());
    e = assertThrows(FlightRuntimeException.class, () -> FlightClients.action(client, "job_status", "../x"));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code());
    e = assertThrows(FlightRuntimeException.class, () -> FlightClients.action(client, "explode", "{}"));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code());
    assertTrue(e.getMessage().contains("unknown action 'explode'"));
    e = assertThrows(FlightRuntimeException.class, () -> {
      try (FlightStream s = client.getStream(new Ticket("labels/0000".getBytes(StandardCharsets.UTF_8)))) {
        s.next();
      }
    });
    assertEquals(FlightStatusCode.NOT_FOUND, e.status().code());
    assertStillServing();
  }

  /** Verifies that bad dataset names and unsupported schemas are refused at upload and store nothing. */
  @Test
  void badUploads() throws Exception {
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
        () -> FlightClients.uploadReviews(client, allocator, "../escape", 1, 10));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code());
    assertTrue(e.getMessage().contains("invalid"), e.getMessage());
    Schema unsupported = new Schema(List.of(new Field("d",
        FieldType.nullable(new ArrowType.Date(org.apache.arrow.vector.types.DateUnit.DAY)), null)));
    try (VectorSchemaRoot root = VectorSchemaRoot.create(unsupported, allocator);
         SyncPutListener ack = new SyncPutListener()) {
      root.setRowCount(0);
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("datasets", "dates"), root, ack);
      put.putNext();
      put.completed();
      e = assertThrows(FlightRuntimeException.class, put::getResult);
      assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code());
      assertTrue(e.getMessage().contains("'d'"), e.getMessage());
    }
    assertTrue(server.server.node().datasets().versions(stored("dates")).isEmpty());
    assertStillServing();
  }

  /**
   * Verifies that an upload whose client fails or disconnects mid-stream leaves no visible version and
   * no stray files.
   */
  @Test
  void clientDisconnectMidUpload() throws Exception {
    ReviewsGenerator generator = new ReviewsGenerator(3);
    // 1: the client reports an error after sending 3,500 rows (3 full chunks written on the server).
    try (VectorSchemaRoot root = VectorSchemaRoot.create(ReviewsGenerator.SCHEMA, allocator);
         SyncPutListener ack = new SyncPutListener()) {
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("datasets", "broken"), root, ack);
      sendRows(generator, root, put, 3500, allocator);
      put.error(CallStatus.CANCELLED.withDescription("client gave up").toRuntimeException());
      assertThrows(FlightRuntimeException.class, put::getResult);
    }
    // 2: the client's connection drops mid-stream (its channel is shut down at once, cancelling the call).
    io.grpc.ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", server.flightPort())
        .usePlaintext().build();
    try (RootAllocator other = new RootAllocator();
         FlightClient doomed = org.apache.arrow.flight.FlightGrpcUtils.createFlightClient(other, channel);
         VectorSchemaRoot root = VectorSchemaRoot.create(ReviewsGenerator.SCHEMA, other);
         SyncPutListener ack = new SyncPutListener()) {
      FlightClient.ClientStreamListener put = doomed.startPut(FlightDescriptor.path("datasets", "broken2"), root, ack);
      sendRows(generator, root, put, 2500, other);
      channel.shutdownNow();
      assertTrue(channel.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS));
      assertThrows(Exception.class, put::getResult);
    }

    // The server notices a vanished client when gRPC reports the call cancelled: soon, not at once.
    Eventually.until(java.time.Duration.ofSeconds(15), () -> filesUnder("broken") + filesUnder("broken2") == 0,
        () -> "stray files of the failed (" + filesUnder("broken") + ") or disconnected (" + filesUnder("broken2")
            + ") upload");
    assertTrue(server.server.node().datasets().versions(stored("broken")).isEmpty());
    assertTrue(server.server.node().datasets().versions(stored("broken2")).isEmpty());
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
        () -> client.getInfo(FlightDescriptor.path("datasets", "broken")));
    assertEquals(FlightStatusCode.NOT_FOUND, e.status().code());
    assertStillServing();
  }

  private static void sendRows(ReviewsGenerator generator, VectorSchemaRoot root,
      FlightClient.ClientStreamListener put, int rows, org.apache.arrow.memory.BufferAllocator allocator) {
    for (int row = 0; row < rows; row += 500) {
      try (VectorSchemaRoot batch = generator.batch(row, 500, allocator);
           ArrowRecordBatch arrow = new VectorUnloader(batch).getRecordBatch()) {
        new VectorLoader(root).load(arrow);
        put.putNext();
      }
    }
  }

  /** The store's name of the test user's dataset {@code name}. */
  private static String stored(String name) {
    return dev.labelflight.engine.store.DatasetNames.qualify(TestServer.USER, name);
  }

  private long filesUnder(String name) {
    Path d = dir.resolve("datasets").resolve(stored(name));
    if (!Files.exists(d)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(d)) {
      return files.filter(Files::isRegularFile).count();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
