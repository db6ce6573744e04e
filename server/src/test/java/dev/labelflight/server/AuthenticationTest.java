package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.flight.auth.FlightAuthenticator;
import dev.labelflight.verticles.bus.Addresses;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.grpc.CredentialCallOption;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bearer tokens on every door: Flight, HTTP and the event-bus bridge. */
class AuthenticationTest {
  @TempDir Path dir;

  /**
   * Verifies that every kind of Flight call without a token, or with a wrong one, fails with UNAUTHENTICATED
   * and a message saying what to send; that the right token gets in; and that a basic-auth handshake
   * (user name + token) issues a bearer token that works for later calls.
   */
  @Test
  void flightNeedsAToken() throws Exception {
    try (TestServer server = new TestServer(dir, 1000);
         RootAllocator allocator = new RootAllocator();
         FlightClient alice = server.client(allocator);
         FlightClient anonymous = server.client(allocator, null);
         FlightClient wrong = server.client(allocator, "not-a-token")) {
      FlightClients.uploadReviews(alice, allocator, "reviews", 1, 500);
      String job = FlightClients.action(alice, "apply", "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],"
          + "\"lfs\":[{\"name\":\"s\",\"kind\":\"numeric\",\"column\":\"stars\",\"op\":\"<\",\"value\":3,\"label\":\"SPAM\"}]}")
          .getString("job");
      List<Consumer<FlightClient>> calls = List.of(
          c -> c.listFlights(Criteria.ALL).forEach(i -> { }),
          c -> c.getInfo(FlightDescriptor.path("datasets", "reviews")),
          c -> FlightClients.action(c, "job_status", "{\"job\":\"" + job + "\"}"),
          c -> FlightClients.action(c, "apply", "{}"),
          c -> drain(c, "labels/" + job),
          c -> drain(c, "dataset/reviews@1"),
          c -> {
            try {
              FlightClients.uploadReviews(c, allocator, "intruder", 2, 100);
            } catch (RuntimeException e) {
              throw e;
            } catch (Exception e) {
              throw new RuntimeException(e);
            }
          });
      for (Consumer<FlightClient> call : calls) {
        FlightRuntimeException e = assertThrows(FlightRuntimeException.class, () -> call.accept(anonymous));
        assertEquals(FlightStatusCode.UNAUTHENTICATED, e.status().code(), e.toString());
        assertTrue(e.getMessage().contains("authorization: Bearer"), e.getMessage());
        e = assertThrows(FlightRuntimeException.class, () -> call.accept(wrong));
        assertEquals(FlightStatusCode.UNAUTHENTICATED, e.status().code(), e.toString());
        assertTrue(e.getMessage().contains(FlightAuthenticator.INVALID), e.getMessage());
      }
      assertEquals(500, alice.getInfo(FlightDescriptor.path("datasets", "reviews")).getRecords());

      try (FlightClient handshake = server.client(allocator, null)) {
        FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
            () -> handshake.authenticateBasicToken(TestServer.USER, "wrong"));
        assertEquals(FlightStatusCode.UNAUTHENTICATED, e.status().code());
        CredentialCallOption issued = handshake.authenticateBasicToken(TestServer.USER, TestServer.TOKEN).orElseThrow();
        CallOption[] withIssued = {issued};
        assertEquals(500, handshake.getInfo(FlightDescriptor.path("datasets", "reviews"), withIssued).getRecords());
      }
      assertTrue(server.blockedEventLoops.isEmpty(), String.valueOf(server.blockedEventLoops));
    }
  }

  /**
   * Verifies that {@code /metrics} answers 401 without a token or with a wrong one and 200 with a user's
   * token, while the probes {@code /health} and {@code /ready} stay open.
   */
  @Test
  void httpNeedsATokenExceptProbes() throws Exception {
    try (TestServer server = new TestServer(dir, 1000)) {
      String base = "http://127.0.0.1:" + server.server.httpPort();
      HttpResponse<String> none = get(base + "/metrics", null);
      assertEquals(401, none.statusCode());
      assertTrue(none.body().contains("authorization: Bearer"), none.body());
      assertEquals("Bearer realm=\"labelflight\"", none.headers().firstValue("WWW-Authenticate").orElse(""));
      HttpResponse<String> wrong = get(base + "/metrics", "Bearer nope");
      assertEquals(401, wrong.statusCode());
      assertTrue(wrong.body().contains("invalid bearer token"), wrong.body());
      assertEquals(401, get(base + "/metrics", "Basic " + TestServer.TOKEN).statusCode());
      assertEquals(200, get(base + "/metrics", "Bearer " + TestServer.TOKEN).statusCode());
      assertEquals(200, get(base + "/health", null).statusCode());
      assertEquals(200, get(base + "/ready", null).statusCode());
    }
  }

  /**
   * Verifies that without a token {@code /health} and {@code /ready} say only up/down (no node id, data
   * directory, resident datasets or user names), that a user's token gets the node's details (still without
   * the data directory or any stored dataset name), and that {@code /metrics} names no user.
   */
  @Test
  void probesSayNothingAboutUsersWithoutAToken() throws Exception {
    try (TestServer server = new TestServer(dir, 1000);
         RootAllocator allocator = new RootAllocator();
         FlightClient alice = server.client(allocator)) {
      FlightClients.uploadReviews(alice, allocator, "reviews", 1, 2000);
      // A resident copy and a queued job: both used to show up with the user's name.
      String job = FlightClients.action(alice, "apply", "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],"
          + "\"mode\":\"resident\",\"lfs\":[{\"name\":\"s\",\"kind\":\"numeric\",\"column\":\"stars\","
          + "\"op\":\"<\",\"value\":3,\"label\":\"SPAM\"}]}").getString("job");
      assertEquals("SUCCEEDED", FlightClients.awaitEnd(alice, job, 60_000).getString("state"));
      String base = "http://127.0.0.1:" + server.server.httpPort();
      String nodeId = server.server.node().nodeId();
      String dataDir = server.server.node().dataDir().toString();

      for (String probe : List.of("/health", "/ready")) {
        HttpResponse<String> open = get(base + probe, null);
        assertEquals(200, open.statusCode(), open.body());
        JsonObject body = new JsonObject(open.body());
        assertEquals(java.util.Set.of(probe.equals("/health") ? "status" : "ready"), body.fieldNames(), open.body());
      }
      HttpResponse<String> details = get(base + "/health", "Bearer " + TestServer.TOKEN);
      assertEquals(200, details.statusCode());
      JsonObject health = new JsonObject(details.body());
      assertEquals(nodeId, health.getString("node"));
      assertTrue(health.getJsonObject("sizing").getJsonObject("derivation").containsKey("budget"), details.body());
      assertEquals(1, health.getJsonObject("cluster").getJsonArray("nodes").size(), details.body());
      assertEquals(401, get(base + "/health", "Bearer nope").statusCode());
      HttpResponse<String> metrics = get(base + "/metrics", "Bearer " + TestServer.TOKEN);
      for (String text : List.of(details.body(), metrics.body())) {
        assertFalse(text.contains(TestServer.USER), text);
        assertFalse(text.contains("~"), text);
        assertFalse(text.contains(dataDir), text);
        assertFalse(text.contains("user=\""), text);
      }
    }
  }

  /**
   * Verifies that a burst of wrong tokens is refused cheaply: after {@code auth.failures.perAddress} (5 here)
   * wrong tokens from one address, further ones get RESOURCE_EXHAUSTED (Flight) / 429 with Retry-After (HTTP,
   * bridge) without being hashed (PBKDF2 evaluations counted), while a token already verified still works
   * from that address and another user's token works from another address, whose own wrong tokens are
   * bounded the same way.
   */
  @Test
  void wrongTokenBurstsAreRefusedCheaply() throws Exception {
    JsonObject conf = new JsonObject().put("auth", new JsonObject().put("failures", new JsonObject()
        .put("perAddress", 5).put("perUser", 5).put("perNode", 50).put("windowMs", 600_000)));
    try (TestServer server = new TestServer(dir, 1000, conf);
         RootAllocator allocator = new RootAllocator();
         FlightClient alice = server.client(allocator)) {
      alice.listFlights(Criteria.ALL).forEach(i -> { });
      long hashes = dev.labelflight.engine.auth.SecretHash.evaluations();
      int unauthenticated = 0;
      int exhausted = 0;
      for (int i = 0; i < 30; i++) {
        try (FlightClient guess = server.client(allocator, "guess-" + i + "-" + java.util.UUID.randomUUID())) {
          FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
              () -> guess.listFlights(Criteria.ALL).forEach(x -> { }));
          if (e.status().code() == FlightStatusCode.UNAUTHENTICATED) {
            unauthenticated++;
          } else {
            assertEquals(FlightStatusCode.RESOURCE_EXHAUSTED, e.status().code(), e.toString());
            assertTrue(e.getMessage().contains("too many failed authentications from address 127.0.0.1")
                && e.getMessage().contains("auth.failures.perAddress") && e.getMessage().contains("retry in"), e.getMessage());
            exhausted++;
          }
        }
      }
      assertEquals(5, unauthenticated);
      assertEquals(25, exhausted);
      long spent = dev.labelflight.engine.auth.SecretHash.evaluations() - hashes;
      assertTrue(spent <= 5 * 2, "wrong tokens cost " + spent + " PBKDF2 evaluations (5 admitted x 2 users at most)");
      // The verified token still works from the refused address.
      alice.listFlights(Criteria.ALL).forEach(i -> { });

      int http = server.server.httpPort();
      assertEquals(200, rawGet(http, "127.0.0.2", "/metrics", "Bearer " + TestServer.OTHER_TOKEN).status(),
          "another user, another address");
      for (int i = 0; i < 5; i++) {
        assertEquals(401, rawGet(http, "127.0.0.2", "/metrics", "Bearer wrong-" + i).status());
      }
      RawResponse refused = rawGet(http, "127.0.0.2", "/metrics", "Bearer wrong-again");
      assertEquals(429, refused.status(), refused.text());
      assertTrue(refused.text().contains("Retry-After: ") && refused.text().contains("too many failed authentications"),
          refused.text());
      assertEquals(200, rawGet(http, "127.0.0.2", "/metrics", "Bearer " + TestServer.OTHER_TOKEN).status(),
          "a verified token from a refused address");

      try (BridgeClient browser = new BridgeClient(http, "wrong-in-a-browser")) {
        JsonObject answer = browser.request(Addresses.DATASETS, new JsonObject());
        assertEquals(429, answer.getInteger("failureCode"), answer.encode());
      }
      assertTrue(server.blockedEventLoops.isEmpty(), String.valueOf(server.blockedEventLoops));
    }
  }

  private record RawResponse(int status, String text) {}

  /** A GET over a socket bound to {@code from} (a loopback address other than 127.0.0.1). */
  private static RawResponse rawGet(int port, String from, String path, String authorization) throws Exception {
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.bind(new java.net.InetSocketAddress(from, 0));
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + authorization
          + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String text = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      return new RawResponse(Integer.parseInt(text.substring(9, 12)), text);
    }
  }

  /**
   * Verifies that a bridge request without a token, or with a wrong one, is refused with failure code 401
   * and a clear message (and never reaches the API), and that the same request with a token is answered.
   */
  @Test
  void bridgeNeedsAToken() throws Exception {
    try (TestServer server = new TestServer(dir, 1000);
         BridgeClient anonymous = new BridgeClient(server.server.httpPort(), null);
         BridgeClient wrong = new BridgeClient(server.server.httpPort(), "nope");
         BridgeClient alice = new BridgeClient(server.server.httpPort(), TestServer.TOKEN)) {
      for (String address : List.of(Addresses.DATASETS, Addresses.APPLY, Addresses.LFSETS_PUT)) {
        JsonObject refused = anonymous.request(address, new JsonObject().put("dataset", "reviews"));
        assertEquals("err", refused.getString("type"), refused.encode());
        assertEquals(401, refused.getInteger("failureCode"), refused.encode());
        assertTrue(refused.getString("message").contains("authentication required"), refused.encode());
        refused = wrong.request(address, new JsonObject().put("dataset", "reviews"));
        assertEquals(401, refused.getInteger("failureCode"), refused.encode());
        assertTrue(refused.getString("message").contains("invalid bearer token"), refused.encode());
      }
      assertTrue(server.server.node().datasets().names().isEmpty());
      JsonObject listed = alice.request(Addresses.DATASETS, new JsonObject());
      assertEquals("rec", listed.getString("type"), listed.encode());
      assertEquals(0, listed.getJsonObject("body").getJsonArray("datasets").size());
    }
  }

  private static void drain(FlightClient client, String ticket) {
    try (var stream = client.getStream(new Ticket(ticket.getBytes(java.nio.charset.StandardCharsets.UTF_8)))) {
      while (stream.next()) {
        // drained
      }
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  private static HttpResponse<String> get(String url, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
