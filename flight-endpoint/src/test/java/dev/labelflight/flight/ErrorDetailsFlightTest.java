package dev.labelflight.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.demo.ReviewsGenerator;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The error wire contract: every Flight error carries {@code {"code", "message", "details"}} as UTF-8 JSON
 * in the status metadata {@code grpc-status-details-bin} (pyarrow's {@code FlightError.extra_info}), with
 * the LF, row, job and limit at fault among the details, and timeouts that name the job.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ErrorDetailsFlightTest {
  static final int ROWS = 3_000;
  @TempDir static Path dir;
  FlightNode node;
  RootAllocator allocator;
  FlightClient alice;

  @BeforeAll
  void start() throws Exception {
    node = new FlightNode(dir, 1_000, new JsonObject());
    allocator = new RootAllocator();
    alice = node.client(allocator, FlightNode.ALICE_TOKEN);
    FlightNode.uploadReviews(alice, allocator, "reviews", 12, ROWS);
  }

  @AfterAll
  void stop() throws Exception {
    alice.close();
    allocator.close();
    node.close();
  }

  /** The JSON of an error's status metadata, checked against the status itself. */
  static JsonObject details(FlightRuntimeException e) {
    assertNotNull(e.status().metadata(), "no status metadata on " + e);
    assertTrue(e.status().metadata().containsKey("grpc-status-details-bin"),
        "no grpc-status-details-bin on " + e + " (keys " + e.status().metadata().keys() + ")");
    // pyarrow shows the JSON as FlightError.extra_info only when Arrow's status code trailer comes with it.
    assertTrue(e.status().metadata().containsKey("x-arrow-status"), "no x-arrow-status on " + e);
    byte[] bytes = e.status().metadata().getByte("grpc-status-details-bin");
    JsonObject json = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
    assertEquals(e.status().code().name(), json.getString("code"), json.encode());
    assertEquals(e.status().description(), json.getString("message"), json.encode());
    return json.getJsonObject("details");
  }

  static String apply(String lf) {
    return "{\"dataset\":\"reviews\",\"labels\":[\"NEG\",\"POS\"],\"mode\":\"queue\",\"lfs\":[" + lf + "]}";
  }

  /** Verifies that an LF refused at apply carries the LF's name in its details. */
  @Test
  void lfErrorsNameTheLf() {
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, () -> FlightNode.action(alice, "apply",
        apply("{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"body\",\"keywords\":[\"x\"],\"label\":\"POS\"}")));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code());
    assertEquals("kw", details(e).getString("lf"), e.getMessage());
  }

  /**
   * Verifies that a job failed by an LF on one row streams INVALID_ARGUMENT naming the LF and the row id
   * (a row where the expression divides by zero), without the row's text.
   */
  @Test
  void rowFailuresNameTheLfAndRow() throws Exception {
    String job = FlightNode.action(alice, "apply",
        apply("{\"name\":\"div\",\"kind\":\"expression\",\"expr\":\"10 / (stars - 3) > 1\",\"label\":\"POS\"}")).getString("job");
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, () -> {
      try (FlightStream stream = alice.getStream(ResultsFlightTest.ticket("labels/" + job))) {
        while (stream.next()) {
          // rows before the failing chunk
        }
      }
    });
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code(), e.getMessage());
    JsonObject details = details(e);
    assertEquals("div", details.getString("lf"), details.encode());
    long row = details.getLong("row");
    assertTrue(e.getMessage().contains("row " + row), e.getMessage());
    assertEquals(job, details.getString("job"), details.encode());
    try (VectorSchemaRoot data = new ReviewsGenerator(12).batch(0, ROWS, allocator)) {
      assertEquals(3, ((IntVector) data.getVector("stars")).get((int) row), "row " + row + " is one that divides by zero");
      String text = String.valueOf(data.getVector("text").getObject((int) row));
      assertFalse(e.getMessage().contains(text), "the row's text is not in the error");
    }
  }

  /** Verifies that errors raised by the endpoint itself (bad ticket, bad descriptor, unknown job) carry the JSON too. */
  @Test
  void everyErrorCarriesTheJson() {
    FlightRuntimeException ticket = assertThrows(FlightRuntimeException.class, () -> {
      try (FlightStream s = alice.getStream(ResultsFlightTest.ticket("nosuch/x"))) {
        s.next();
      }
    });
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, ticket.status().code());
    details(ticket);
    FlightRuntimeException descriptor = assertThrows(FlightRuntimeException.class,
        () -> alice.getInfo(FlightDescriptor.path("datasets", "nosuch")));
    assertEquals("nosuch", details(descriptor).getString("dataset"));
    FlightRuntimeException job = assertThrows(FlightRuntimeException.class,
        () -> FlightNode.action(alice, "job_status", "{\"job\":\"0000\"}"));
    assertEquals("0000", details(job).getString("job"));
  }
}
