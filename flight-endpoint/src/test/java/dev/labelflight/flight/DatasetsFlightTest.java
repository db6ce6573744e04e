package dev.labelflight.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.demo.ReviewsGenerator;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Listing, describing, downloading, dropping and deriving datasets through a real Flight server. */
class DatasetsFlightTest {
  @TempDir Path dir;
  FlightNode node;
  RootAllocator allocator;
  FlightClient alice;
  FlightClient bob;

  @BeforeEach
  void start() throws Exception {
    node = new FlightNode(dir, 1_000, new JsonObject());
    allocator = new RootAllocator();
    alice = node.client(allocator, FlightNode.ALICE_TOKEN);
    bob = node.client(allocator, FlightNode.BOB_TOKEN);
    FlightNode.uploadReviews(alice, allocator, "reviews", 4, 2_500);
    FlightNode.uploadReviews(alice, allocator, "reviews", 5, 10);
    FlightNode.uploadReviews(bob, allocator, "mine", 6, 20);
  }

  @AfterEach
  void stop() throws Exception {
    alice.close();
    bob.close();
    allocator.close();
    node.close();
  }

  private List<String> listing(FlightClient client) {
    List<String> seen = new ArrayList<>();
    for (FlightInfo info : client.listFlights(Criteria.ALL)) {
      JsonObject meta = new JsonObject(new String(info.getAppMetadata(), StandardCharsets.UTF_8));
      seen.add(meta.getString("name") + "@" + meta.getInteger("version") + ":" + info.getRecords());
    }
    return seen;
  }

  /** Verifies that each user lists their own versions only, with rows, and GetFlightInfo describes one version. */
  @Test
  void listAndDescribe() {
    assertEquals(List.of("reviews@1:2500", "reviews@2:10"), listing(alice));
    assertEquals(List.of("mine@1:20"), listing(bob));
    FlightInfo newest = alice.getInfo(FlightDescriptor.path("datasets", "reviews"));
    assertEquals(10, newest.getRecords());
    assertEquals(ReviewsGenerator.SCHEMA, newest.getSchema());
    assertEquals(2_500, alice.getInfo(FlightDescriptor.path("datasets", "reviews", "v1")).getRecords());
  }

  /** Verifies that the ticket of a version streams its rows back, the derived columns included. */
  @Test
  void downloadWithDerivedColumn() throws Exception {
    JsonObject derived = FlightNode.action(alice, "derive",
        "{\"dataset\":\"reviews\",\"version\":1,\"name\":\"n\",\"kind\":\"length\",\"column\":\"text\"}");
    assertEquals(2_500, derived.getLong("rows"));
    FlightInfo info = alice.getInfo(FlightDescriptor.path("datasets", "reviews", "1"));
    long rows = 0;
    try (FlightStream stream = alice.getStream(info.getEndpoints().get(0).getTicket())) {
      while (stream.next()) {
        VectorSchemaRoot root = stream.getRoot();
        VarCharVector text = (VarCharVector) root.getVector("text");
        IntVector length = (IntVector) root.getVector("n");
        for (int i = 0; i < root.getRowCount(); i++) {
          if (!text.isNull(i)) {
            assertEquals(text.getObject(i).toString().codePointCount(0, text.getObject(i).toString().length()), length.get(i));
          }
        }
        rows += root.getRowCount();
      }
    }
    assertEquals(2_500, rows);
  }

  /** Verifies that drop_dataset removes every version, after which the dataset is NOT_FOUND and gone from the listing. */
  @Test
  void dropRemovesEveryVersion() {
    JsonObject dropped = FlightNode.action(alice, "drop_dataset", "{\"dataset\":\"reviews\"}");
    assertEquals(List.of(1, 2), dropped.getJsonArray("versions").getList());
    assertEquals(List.of(), listing(alice));
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
        () -> alice.getInfo(FlightDescriptor.path("datasets", "reviews")));
    assertEquals(FlightStatusCode.NOT_FOUND, e.status().code());
    assertEquals(List.of("mine@1:20"), listing(bob));
  }

  /** Verifies the errors: unknown dataset or version, bad version, bad descriptor, bad body, another user's dataset. */
  @Test
  void errors() {
    assertInfoFails(FlightStatusCode.NOT_FOUND, "'nosuch' not found", FlightDescriptor.path("datasets", "nosuch"));
    assertInfoFails(FlightStatusCode.NOT_FOUND, "no version 9", FlightDescriptor.path("datasets", "reviews", "9"));
    assertInfoFails(FlightStatusCode.INVALID_ARGUMENT, "not a dataset version", FlightDescriptor.path("datasets", "reviews", "x"));
    assertInfoFails(FlightStatusCode.INVALID_ARGUMENT, "descriptor must be", FlightDescriptor.path("jobs", "x"));
    assertInfoFails(FlightStatusCode.NOT_FOUND, "not found", FlightDescriptor.path("datasets", "mine"));
    FlightRuntimeException body = assertThrows(FlightRuntimeException.class,
        () -> FlightNode.action(alice, "drop_dataset", "{\"name\":\"reviews\"}"));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, body.status().code());
    FlightRuntimeException kind = assertThrows(FlightRuntimeException.class, () -> FlightNode.action(alice, "derive",
        "{\"dataset\":\"reviews\",\"name\":\"n\",\"kind\":\"upper\",\"column\":\"text\"}"));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, kind.status().code());
    FlightRuntimeException download = assertThrows(FlightRuntimeException.class, () -> {
      try (FlightStream s = alice.getStream(ResultsFlightTest.ticket("dataset/reviews"))) {
        s.next();
      }
    });
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, download.status().code());
  }

  private void assertInfoFails(FlightStatusCode code, String fragment, FlightDescriptor descriptor) {
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, () -> alice.getInfo(descriptor));
    assertEquals(code, e.status().code(), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention " + fragment);
  }
}
