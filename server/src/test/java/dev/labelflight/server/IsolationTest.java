package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.verticles.bus.Addresses;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** One user's datasets, jobs, labels and LF sets are invisible to another. */
class IsolationTest {
  private static final String LFS = "[{\"name\":\"low\",\"kind\":\"numeric\",\"column\":\"stars\",\"op\":\"<\",\"value\":3,"
      + "\"label\":\"SPAM\"}]";

  @TempDir Path dir;

  /**
   * Verifies that user B cannot list, describe, download, apply to or drop user A's dataset, nor read the
   * status, labels, analysis or label model of A's job, nor cancel it: each answer is NOT_FOUND worded
   * exactly as for a dataset or job that does not exist. Both users can hold a dataset of the same name,
   * and A's data is untouched afterwards.
   */
  @Test
  void userBSeesNothingOfUserA() throws Exception {
    try (TestServer server = new TestServer(dir, 1000);
         RootAllocator allocator = new RootAllocator();
         FlightClient alice = server.client(allocator);
         FlightClient bob = server.client(allocator, TestServer.OTHER_TOKEN)) {
      FlightClients.uploadReviews(alice, allocator, "reviews", 1, 2500);
      String job = FlightClients.action(alice, "apply", apply("reviews")).getString("job");
      assertEquals("SUCCEEDED", FlightClients.awaitEnd(alice, job, 60_000).getString("state"));
      String model = FlightClients.action(alice, "fit_label_model", "{\"job\":\"" + job + "\",\"model\":\"majority\"}")
          .getString("model");

      assertTrue(names(bob).isEmpty(), "bob lists nothing");
      String absentDataset = notFound(() -> bob.getInfo(FlightDescriptor.path("datasets", "absent")));
      String absentJob = notFound(() -> FlightClients.action(bob, "job_status", "{\"job\":\"" + UUID.randomUUID() + "\"}"));
      List<Executable> datasetCalls = List.of(
          () -> bob.getInfo(FlightDescriptor.path("datasets", "reviews")),
          () -> bob.getInfo(FlightDescriptor.path("datasets", "reviews", "1")),
          () -> drain(bob, "dataset/reviews@1"),
          () -> FlightClients.action(bob, "apply", apply("reviews")),
          () -> FlightClients.action(bob, "drop_dataset", "{\"dataset\":\"reviews\"}"));
      for (Executable call : datasetCalls) {
        assertEquals(absentDataset.replace("absent", "reviews"), notFound(call));
      }
      List<Executable> jobCalls = List.of(
          () -> FlightClients.action(bob, "job_status", "{\"job\":\"" + job + "\"}"),
          () -> FlightClients.action(bob, "cancel", "{\"job\":\"" + job + "\"}"),
          () -> FlightClients.action(bob, "analysis", "{\"job\":\"" + job + "\"}"),
          () -> FlightClients.action(bob, "fit_label_model", "{\"job\":\"" + job + "\",\"model\":\"majority\"}"),
          () -> bob.getInfo(FlightDescriptor.path("labels", job)),
          () -> drain(bob, "labels/" + job),
          () -> drain(bob, "probs/" + job + "/" + model),
          () -> drain(bob, "preds/" + job + "/" + model));
      for (Executable call : jobCalls) {
        String id = absentJob.substring(absentJob.indexOf('\'') + 1, absentJob.lastIndexOf('\''));
        assertEquals(absentJob.replace(id, job), notFound(call));
      }

      // Same name, separate datasets.
      FlightClients.uploadReviews(bob, allocator, "reviews", 2, 700);
      assertEquals(List.of("reviews"), names(bob));
      assertEquals(700, bob.getInfo(FlightDescriptor.path("datasets", "reviews")).getRecords());
      assertEquals(2500, alice.getInfo(FlightDescriptor.path("datasets", "reviews")).getRecords());
      JsonObject dropped = FlightClients.action(bob, "drop_dataset", "{\"dataset\":\"reviews\"}");
      assertEquals("reviews", dropped.getString("dataset"));
      assertEquals(2500, alice.getInfo(FlightDescriptor.path("datasets", "reviews")).getRecords(), "alice's survives");
      JsonObject status = FlightClients.action(alice, "job_status", "{\"job\":\"" + job + "\"}");
      assertEquals("SUCCEEDED", status.getString("state"));
      assertEquals("reviews", status.getString("dataset"), "the owner sees her own name");
      assertEquals(TestServer.USER, status.getString("user"));
      assertEquals(List.of("dataset/reviews@1"), tickets(alice));
      assertFalse(server.blockedEventLoops.size() > 0, String.valueOf(server.blockedEventLoops));
    }
  }

  /**
   * Verifies that over the bridge user B neither lists, pages nor reads the LF set of user A's dataset,
   * nor reads A's job or listens to its progress; B's LF set of the same name is B's own.
   */
  @Test
  void bridgeKeepsUsersApart() throws Exception {
    try (TestServer server = new TestServer(dir, 1000);
         RootAllocator allocator = new RootAllocator();
         FlightClient aliceFlight = server.client(allocator);
         BridgeClient alice = new BridgeClient(server.server.httpPort(), TestServer.TOKEN);
         BridgeClient bob = new BridgeClient(server.server.httpPort(), TestServer.OTHER_TOKEN)) {
      FlightClients.uploadReviews(aliceFlight, allocator, "reviews", 1, 1500);
      JsonObject set = new JsonObject().put("labels", new io.vertx.core.json.JsonArray().add("HAM").add("SPAM"))
          .put("lfs", new io.vertx.core.json.JsonArray(LFS));
      assertEquals("rec", alice.request(Addresses.LFSETS_PUT, new JsonObject().put("dataset", "reviews").put("set", set))
          .getString("type"));
      JsonObject applied = alice.request(Addresses.APPLY, new JsonObject(apply("reviews")));
      String job = applied.getJsonObject("body").getString("job");

      assertEquals(1, alice.request(Addresses.DATASETS, new JsonObject()).getJsonObject("body").getJsonArray("datasets").size());
      assertEquals(0, bob.request(Addresses.DATASETS, new JsonObject()).getJsonObject("body").getJsonArray("datasets").size());
      JsonObject page = bob.request(Addresses.SAMPLE, new JsonObject().put("dataset", "reviews"));
      assertEquals(404, page.getInteger("failureCode"), page.encode());
      assertEquals("dataset 'reviews' not found", page.getString("message"));
      assertNull(bob.request(Addresses.LFSETS_GET, new JsonObject().put("dataset", "reviews")).getJsonObject("body")
          .getValue("set"), "bob has no LF set for his 'reviews'");
      JsonObject status = bob.request(Addresses.JOB_STATUS, new JsonObject().put("job", job));
      assertEquals(404, status.getInteger("failureCode"), status.encode());
      assertEquals("job '" + job + "' not found", status.getString("message"));
      JsonObject coverage = bob.request(Addresses.COVERAGE, new JsonObject().put("job", job).put("classes", 2));
      assertEquals(404, coverage.getInteger("failureCode"), coverage.encode());

      bob.register(Addresses.job(job));
      JsonObject refusal = bob.unaddressed.poll(10, TimeUnit.SECONDS);
      assertTrue(refusal != null && refusal.getString("type").equals("err"), String.valueOf(refusal));
      alice.register(Addresses.job(job));
      assertEquals("rec", alice.request(Addresses.JOB_STATUS, new JsonObject().put("job", job)).getString("type"));
      assertNull(alice.unaddressed.poll(200, TimeUnit.MILLISECONDS), "alice may listen to her job");
      assertEquals(1, alice.request(Addresses.LFSETS_GET, new JsonObject().put("dataset", "reviews"))
          .getJsonObject("body").getJsonObject("set").getJsonArray("lfs").size());
    }
  }

  /**
   * Verifies that a label model is its owner's alone: another user naming its id as the base of a partial
   * fit (on a job of theirs with the same LF and class names) gets NOT_FOUND worded as for a model that
   * does not exist, learns none of its LF names, classes or statistics, and the owner's model still works.
   */
  @Test
  void baseModelOfAnotherUserIsNotFound() throws Exception {
    try (TestServer server = new TestServer(dir, 1000);
         RootAllocator allocator = new RootAllocator();
         FlightClient alice = server.client(allocator);
         FlightClient bob = server.client(allocator, TestServer.OTHER_TOKEN)) {
      FlightClients.uploadReviews(alice, allocator, "reviews", 1, 1500);
      FlightClients.uploadReviews(bob, allocator, "reviews", 2, 1500);
      String aliceJob = FlightClients.action(alice, "apply", apply("reviews")).getString("job");
      String bobJob = FlightClients.action(bob, "apply", apply("reviews")).getString("job");
      assertEquals("SUCCEEDED", FlightClients.awaitEnd(alice, aliceJob, 60_000).getString("state"));
      assertEquals("SUCCEEDED", FlightClients.awaitEnd(bob, bobJob, 60_000).getString("state"));
      String model = FlightClients.action(alice, "fit_label_model", "{\"job\":\"" + aliceJob + "\",\"model\":\"generative\"}")
          .getString("model");

      // Stored models are named NAME@vK in their user's namespace: bob's lookup of alice's name finds nothing.
      String absent = notFound(() -> FlightClients.action(bob, "fit_label_model", partial(bobJob, "nosuch@v1")));
      String stolen = notFound(() -> FlightClients.action(bob, "fit_label_model", partial(bobJob, model)));
      assertEquals(absent.replaceAll("model '[^']+'", "model 'ID'"), stolen.replaceAll("model '[^']+'", "model 'ID'"));
      // A job of the same LFs with other classes would have made the base model's classes and LF names
      // part of the error: bob learns nothing either way.
      String otherClasses = FlightClients.action(bob, "apply", apply("reviews").replace("[\"HAM\",\"SPAM\"]",
          "[\"MEH\",\"SPAM\",\"GOOD\"]")).getString("job");
      assertEquals("SUCCEEDED", FlightClients.awaitEnd(bob, otherClasses, 60_000).getString("state"));
      String mismatch = notFound(() -> FlightClients.action(bob, "fit_label_model", partial(otherClasses, model)));
      assertFalse(mismatch.contains("HAM") || mismatch.contains("low"), mismatch);
      assertEquals(absent.replaceAll("model '[^']+'", "model 'ID'"), mismatch.replaceAll("model '[^']+'", "model 'ID'"));
      assertEquals(aliceJob, FlightClients.action(alice, "fit_label_model", partial(aliceJob, model)).getString("job"),
          "the owner builds on her model");
    }
  }

  /**
   * Verifies that fitted models are kept per user: another user fitting many models does not evict the
   * first user's model, whose probabilities still stream (models are stored artifacts; there is no LRU).
   */
  @Test
  void anotherUsersFitsDoNotEvictMyModels() throws Exception {
    JsonObject conf = new JsonObject().put("labelModels", new JsonObject().put("maxModels", 2));
    try (TestServer server = new TestServer(dir, 1000, conf);
         RootAllocator allocator = new RootAllocator();
         FlightClient alice = server.client(allocator);
         FlightClient bob = server.client(allocator, TestServer.OTHER_TOKEN)) {
      FlightClients.uploadReviews(alice, allocator, "reviews", 1, 1000);
      FlightClients.uploadReviews(bob, allocator, "reviews", 2, 1000);
      String aliceJob = FlightClients.action(alice, "apply", apply("reviews")).getString("job");
      String bobJob = FlightClients.action(bob, "apply", apply("reviews")).getString("job");
      assertEquals("SUCCEEDED", FlightClients.awaitEnd(alice, aliceJob, 60_000).getString("state"));
      assertEquals("SUCCEEDED", FlightClients.awaitEnd(bob, bobJob, 60_000).getString("state"));
      String model = FlightClients.action(alice, "fit_label_model", "{\"job\":\"" + aliceJob + "\",\"model\":\"majority\"}")
          .getString("model");
      for (int i = 0; i < 3; i++) {
        FlightClients.action(bob, "fit_label_model", "{\"job\":\"" + bobJob + "\",\"model\":\"majority\"}");
      }
      int rows = 0;
      try (FlightStream stream = alice.getStream(new Ticket(("probs/" + aliceJob + "/" + model).getBytes(StandardCharsets.UTF_8)))) {
        while (stream.next()) {
          rows += stream.getRoot().getRowCount();
        }
      }
      assertEquals(1000, rows);
    }
  }

  /**
   * Verifies that the errors a user can cause on their own dataset name it as the user knows it: never with
   * the stored owner prefix ({@code alice~reviews}) nor the user's name.
   */
  @Test
  void messagesNeverShowTheStoredForm() throws Exception {
    JsonObject conf = new JsonObject().put("limits", new JsonObject().put("maxValueBytes", 4096));
    try (TestServer server = new TestServer(dir, 1000, conf);
         RootAllocator allocator = new RootAllocator();
         FlightClient alice = server.client(allocator);
         BridgeClient browser = new BridgeClient(server.server.httpPort(), TestServer.TOKEN)) {
      FlightClients.uploadReviews(alice, allocator, "reviews", 1, 1500);
      String job = FlightClients.action(alice, "apply", apply("reviews")).getString("job");
      assertEquals("SUCCEEDED", FlightClients.awaitEnd(alice, job, 60_000).getString("state"));
      List<String> messages = new ArrayList<>();
      List<Executable> calls = List.of(
          () -> alice.getInfo(FlightDescriptor.path("datasets", "reviews", "9")),
          () -> drain(alice, "dataset/reviews@9"),
          () -> drain(alice, "dataset/absent@1"),
          () -> FlightClients.action(alice, "apply", apply("reviews").replace("\"stars\"", "\"nope\"")),
          () -> FlightClients.action(alice, "apply", "{\"dataset\":\"reviews\",\"version\":9,\"labels\":[\"A\",\"B\"],\"lfs\":" + LFS + "}"),
          () -> FlightClients.action(alice, "analysis", "{\"job\":\"" + job + "\",\"gold\":\"nope\"}"),
          () -> FlightClients.action(alice, "derive", "{\"dataset\":\"reviews\",\"name\":\"low\",\"kind\":\"lowercase\",\"column\":\"nope\"}"),
          () -> FlightClients.action(alice, "derive", "{\"dataset\":\"reviews\",\"version\":9,\"name\":\"low\",\"kind\":\"lowercase\",\"column\":\"text\"}"),
          () -> FlightClients.action(alice, "drop_dataset", "{\"dataset\":\"absent\"}"),
          () -> bigValue(alice, allocator));
      for (Executable call : calls) {
        messages.add(assertThrows(FlightRuntimeException.class, call).getMessage());
      }
      for (JsonObject request : List.of(
          new JsonObject().put("dataset", "reviews").put("version", 9),
          new JsonObject().put("dataset", "absent"))) {
        messages.add(browser.request(Addresses.SAMPLE, request).getString("message"));
      }
      messages.add(browser.request(Addresses.EXAMPLES, new JsonObject().put("job", job).put("lf", "nope")).getString("message"));
      for (String message : messages) {
        assertTrue(message != null && !message.isEmpty(), String.valueOf(messages));
        assertFalse(message.contains("~") || message.contains(TestServer.USER), "'" + message + "' in " + messages);
      }
    }
  }

  /** An upload with a string over {@code limits.maxValueBytes} (4 KiB here). */
  private static void bigValue(FlightClient client, RootAllocator allocator) throws Exception {
    org.apache.arrow.vector.types.pojo.Schema schema = new org.apache.arrow.vector.types.pojo.Schema(List.of(
        org.apache.arrow.vector.types.pojo.Field.nullable("text", org.apache.arrow.vector.types.pojo.ArrowType.Utf8.INSTANCE)));
    try (org.apache.arrow.vector.VectorSchemaRoot root = org.apache.arrow.vector.VectorSchemaRoot.create(schema, allocator)) {
      org.apache.arrow.vector.VarCharVector text = (org.apache.arrow.vector.VarCharVector) root.getVector("text");
      text.allocateNew();
      text.setSafe(0, "x".repeat(5000).getBytes(StandardCharsets.UTF_8));
      root.setRowCount(1);
      FlightClients.put(client, allocator, "reviews", root);
    }
  }

  private static String partial(String job, String base) {
    return "{\"job\":\"" + job + "\",\"model\":\"generative\",\"baseModel\":\"" + base + "\",\"partialFit\":\"rows\"}";
  }

  /** Verifies that upload names that could escape the store (path separators, '..', the owner separator, too long) are refused. */
  @Test
  void pathTraversalNamesAreRefused() throws Exception {
    try (TestServer server = new TestServer(dir, 1000);
         RootAllocator allocator = new RootAllocator();
         FlightClient alice = server.client(allocator)) {
      for (String bad : List.of("../evil", "a/b", "bob~reviews")) {
        FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
            () -> FlightClients.uploadReviews(alice, allocator, bad, 1, 10), bad);
        assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code(), bad);
      }
      for (String bad : List.of("../evil", "..", "a/b", "a\\b", "bob~reviews", "/etc", "x".repeat(129))) {
        FlightRuntimeException e = assertThrows(FlightRuntimeException.class, () -> drain(alice, "dataset/" + bad + "@1"), bad);
        assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code(), bad);
        e = assertThrows(FlightRuntimeException.class,
            () -> FlightClients.action(alice, "drop_dataset", new JsonObject().put("dataset", bad).encode()), bad);
        assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code(), bad);
      }
      assertTrue(server.server.node().datasets().names().isEmpty());
      try (var files = java.nio.file.Files.list(dir)) {
        assertEquals(List.of(), files.map(p -> p.getFileName().toString()).filter(n -> n.contains("evil")).toList());
      }
    }
  }

  private static String apply(String dataset) {
    return "{\"dataset\":\"" + dataset + "\",\"labels\":[\"HAM\",\"SPAM\"],\"lfs\":" + LFS + "}";
  }

  private static String notFound(Executable call) {
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, call);
    assertEquals(FlightStatusCode.NOT_FOUND, e.status().code(), e.toString());
    return e.getMessage();
  }

  private static List<String> names(FlightClient client) {
    List<String> names = new ArrayList<>();
    for (FlightInfo info : client.listFlights(Criteria.ALL)) {
      names.add(info.getDescriptor().getPath().get(1));
    }
    return names;
  }

  private static List<String> tickets(FlightClient client) {
    List<String> tickets = new ArrayList<>();
    for (FlightInfo info : client.listFlights(Criteria.ALL)) {
      tickets.add(new String(info.getEndpoints().get(0).getTicket().getBytes(), StandardCharsets.UTF_8));
    }
    return tickets;
  }

  private static void drain(FlightClient client, String ticket) throws Exception {
    try (FlightStream stream = client.getStream(new Ticket(ticket.getBytes(StandardCharsets.UTF_8)))) {
      while (stream.next()) {
        // drained
      }
    }
  }
}
