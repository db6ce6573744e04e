package dev.labelflight.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** LF analysis and label-model fits through a real Flight server. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelsFlightTest {
  @TempDir static Path dir;
  FlightNode node;
  RootAllocator allocator;
  FlightClient alice;
  String job;

  @BeforeAll
  void start() throws Exception {
    node = new FlightNode(dir, 1_000, new JsonObject());
    allocator = new RootAllocator();
    alice = node.client(allocator, FlightNode.ALICE_TOKEN);
    FlightNode.uploadReviews(alice, allocator, "reviews", 7, 3_000);
    job = FlightNode.action(alice, "apply", "{\"dataset\":\"reviews\",\"labels\":[\"NEG\",\"POS\"],\"lfs\":["
        + "{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"great\"],\"label\":\"POS\"},"
        + "{\"name\":\"low\",\"kind\":\"numeric\",\"column\":\"stars\",\"op\":\"<\",\"value\":3,\"label\":\"NEG\"}]}")
        .getString("job");
  }

  @AfterAll
  void stop() throws Exception {
    alice.close();
    allocator.close();
    node.close();
  }

  /** Verifies that analysis (with gold) answers per-LF coverage and accuracy over every row once the job ended. */
  @Test
  void analysisWithGold() {
    JsonObject summary = FlightNode.action(alice, "analysis", "{\"job\":\"" + job + "\",\"gold\":\"gold\"}");
    assertEquals(3_000, summary.getLong("rows"));
    assertEquals(2, summary.getJsonArray("lfs").size());
    JsonObject kw = summary.getJsonArray("lfs").getJsonObject(0);
    assertEquals("kw", kw.getString("name"));
    assertTrue(kw.getDouble("coverage") > 0 && kw.getDouble("coverage") < 1, kw.encode());
    assertTrue(kw.containsKey("emp_acc"), kw.encode());
  }

  /** Verifies that a generative fit answers a model id with a weight per LF. */
  @Test
  void fitGenerative() {
    JsonObject model = FlightNode.action(alice, "fit_label_model", "{\"job\":\"" + job + "\",\"model\":\"generative\"}");
    assertTrue(model.getString("model") != null && !model.getString("model").isEmpty(), model.encode());
    assertEquals(2, model.getJsonArray("classes").size());
  }

  /** Verifies that an unknown model kind, gold column and job are refused with clear errors. */
  @Test
  void errors() {
    FlightRuntimeException kind = assertThrows(FlightRuntimeException.class,
        () -> FlightNode.action(alice, "fit_label_model", "{\"job\":\"" + job + "\",\"model\":\"oracle\"}"));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, kind.status().code(), kind.getMessage());
    FlightRuntimeException gold = assertThrows(FlightRuntimeException.class,
        () -> FlightNode.action(alice, "analysis", "{\"job\":\"" + job + "\",\"gold\":\"nosuch\"}"));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, gold.status().code(), gold.getMessage());
    assertTrue(gold.getMessage().contains("nosuch"), gold.getMessage());
    FlightRuntimeException unknown = assertThrows(FlightRuntimeException.class,
        () -> FlightNode.action(alice, "analysis", "{\"job\":\"0000\"}"));
    assertEquals(FlightStatusCode.NOT_FOUND, unknown.status().code(), unknown.getMessage());
    FlightRuntimeException body = assertThrows(FlightRuntimeException.class,
        () -> FlightNode.action(alice, "analysis", "[1]"));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, body.status().code(), body.getMessage());
  }
}
