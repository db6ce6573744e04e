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
