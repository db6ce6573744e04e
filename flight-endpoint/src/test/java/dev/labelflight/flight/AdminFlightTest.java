package dev.labelflight.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.store.Manifest;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Node-to-node calls (manifests, chunk tickets) through a real Flight server: served to nodes, refused to users. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminFlightTest {
  @TempDir static Path dir;
  FlightNode node;
  RootAllocator allocator;
  FlightClient alice;
  FlightClient other;

  @BeforeAll
  void start() throws Exception {
    node = new FlightNode(dir, 1_000, new JsonObject());
    allocator = new RootAllocator();
    alice = node.client(allocator, FlightNode.ALICE_TOKEN);
    other = FlightClient.builder(allocator, node.location()).build();
    FlightNode.uploadReviews(alice, allocator, "reviews", 8, 2_500);
  }

  @AfterAll
  void stop() throws Exception {
    alice.close();
    other.close();
    allocator.close();
    node.close();
  }

  /** Verifies that another node reads a manifest and a chunk by the dataset's stored name. */
  @Test
  void nodesReadManifestsAndChunks() throws Exception {
    var results = other.doAction(new Action("manifest",
        "{\"dataset\":\"alice~reviews\",\"version\":1}".getBytes(StandardCharsets.UTF_8)), FlightNode.asNode());
    Manifest manifest = Manifest.fromBytes(results.next().getBody());
    assertEquals(2_500, manifest.rows());
    try (FlightStream stream = other.getStream(ResultsFlightTest.ticket("chunk/alice~reviews@1/2"), FlightNode.asNode())) {
      assertTrue(stream.next());
      assertEquals(500, stream.getRoot().getRowCount());
      assertTrue(!stream.next());
    }
  }

  /** Verifies that users get NOT_FOUND for node calls, and a node a clear error for a bad chunk ticket. */
  /**
   * Verifies that lf_kinds answers the engine's LF kind registry (every kind, its fields, this node's limits)
   * to any user: the web UI and the Python client build their LF forms from it.
   */
  @Test
  void lfKindsAnswersTheRegistry() throws Exception {
    JsonObject described = FlightNode.action(alice, "lf_kinds", "{}");
    java.util.List<String> kinds = new java.util.ArrayList<>();
    described.getJsonArray("kinds").forEach(k -> kinds.add(((JsonObject) k).getString("kind")));
    assertEquals(dev.labelflight.engine.lf.LfKind.ids(), kinds);
    JsonObject keyword = described.getJsonArray("kinds").getJsonObject(0);
    assertTrue(keyword.getJsonArray("fields").stream().anyMatch(f -> ((JsonObject) f).getString("name").equals("keywords")),
        keyword.encode());
    assertEquals(100, described.getJsonObject("limits").getInteger("maxLfs"), described.encode());
  }

  @Test
  void usersAreRefused() {
    FlightRuntimeException manifest = assertThrows(FlightRuntimeException.class,
        () -> FlightNode.action(alice, "manifest", "{\"dataset\":\"alice~reviews\",\"version\":1}"));
    assertEquals(FlightStatusCode.NOT_FOUND, manifest.status().code());
    assertTrue(manifest.getMessage().contains("for LabelFlight nodes only"), manifest.getMessage());
    FlightRuntimeException chunk = assertThrows(FlightRuntimeException.class, () -> {
      try (FlightStream s = alice.getStream(ResultsFlightTest.ticket("chunk/alice~reviews@1/0"))) {
        s.next();
      }
    });
    assertEquals(FlightStatusCode.NOT_FOUND, chunk.status().code());
    FlightRuntimeException bad = assertThrows(FlightRuntimeException.class, () -> {
      try (FlightStream s = other.getStream(ResultsFlightTest.ticket("chunk/alice~reviews@1/x"), FlightNode.asNode())) {
        s.next();
      }
    });
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, bad.status().code());
    FlightRuntimeException unauthenticated = assertThrows(FlightRuntimeException.class,
        () -> FlightNode.action(other, "job_status", "x"));
    assertEquals(FlightStatusCode.UNAUTHENTICATED, unauthenticated.status().code());
  }
}
