package dev.labelflight.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The job actions ({@code apply}, {@code job_status}, {@code cancel}) through a real Flight server. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobsFlightTest {
  static final String KEYWORD = "{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"great\"],\"label\":\"POS\"}";
  @TempDir static Path dir;
  FlightNode node;
  RootAllocator allocator;
  FlightClient alice;
  FlightClient bob;

  @BeforeAll
  void start() throws Exception {
    node = new FlightNode(dir, 1_000, new JsonObject());
    allocator = new RootAllocator();
    alice = node.client(allocator, FlightNode.ALICE_TOKEN);
    bob = node.client(allocator, FlightNode.BOB_TOKEN);
    FlightNode.uploadReviews(alice, allocator, "reviews", 3, 3_000);
  }

  @AfterAll
  void stop() throws Exception {
    alice.close();
    bob.close();
    allocator.close();
    node.close();
  }

  static String apply(String dataset, String lf) {
    return "{\"dataset\":\"" + dataset + "\",\"labels\":[\"NEG\",\"POS\"],\"lfs\":[" + lf + "]}";
  }

  /** Verifies that apply answers a job id, job_status follows it to SUCCEEDED, and cancel of an ended job keeps its state. */
  @Test
  void applyStatusCancel() {
    String job = FlightNode.action(alice, "apply", apply("reviews", KEYWORD)).getString("job");
    JsonObject end = FlightNode.awaitEnd(alice, job);
    assertEquals("SUCCEEDED", end.getString("state"), end.encode());
    assertEquals(3, end.getInteger("chunksDone"));
    assertEquals(List.of("kw"), end.getJsonArray("lfs").getList());
    assertEquals("SUCCEEDED", FlightNode.action(alice, "cancel", "{\"job\":\"" + job + "\"}").getString("state"));
    assertEquals("SUCCEEDED", FlightNode.action(alice, "job_status", job).getString("state"), "the bare id works too");
  }

  /** Verifies that another user's job and dataset are NOT_FOUND, worded as if they did not exist. */
  @Test
  void jobsAndDatasetsAreTheirUsers() {
    String job = FlightNode.action(alice, "apply", apply("reviews", KEYWORD)).getString("job");
    FlightRuntimeException status = assertThrows(FlightRuntimeException.class,
        () -> FlightNode.action(bob, "job_status", "{\"job\":\"" + job + "\"}"));
    assertEquals(FlightStatusCode.NOT_FOUND, status.status().code());
    FlightRuntimeException dataset = assertThrows(FlightRuntimeException.class,
        () -> FlightNode.action(bob, "apply", apply("reviews", KEYWORD)));
    assertEquals(FlightStatusCode.NOT_FOUND, dataset.status().code());
    assertTrue(dataset.getMessage().contains("'reviews'"), dataset.getMessage());
  }

  /** Verifies that bad bodies, bad LFs, unknown jobs and unknown actions get their own clear errors. */
  @Test
  void badRequestsSayWhatIsWrong() {
    assertFails(FlightStatusCode.INVALID_ARGUMENT, "malformed JSON", "apply", "{\"dataset\": ");
    assertFails(FlightStatusCode.INVALID_ARGUMENT, "unknown column 'body'", "apply", apply("reviews",
        "{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"body\",\"keywords\":[\"x\"],\"label\":\"POS\"}"));
    assertFails(FlightStatusCode.INVALID_ARGUMENT, "is not a job id", "job_status", "../etc");
    assertFails(FlightStatusCode.INVALID_ARGUMENT, "{\"job\": ID}", "cancel", "{\"id\":\"x\"}");
    assertFails(FlightStatusCode.NOT_FOUND, "not found", "job_status", "{\"job\":\"0000\"}");
    assertFails(FlightStatusCode.INVALID_ARGUMENT, "unknown action 'explode'", "explode", "{}");
  }

  /** Verifies that ListActions names every action with a description. */
  @Test
  void listActionsNamesEveryAction() {
    List<String> types = new ArrayList<>();
    alice.listActions().forEach(a -> {
      types.add(a.getType());
      assertTrue(!a.getDescription().isEmpty());
    });
    assertEquals(List.of("apply", "job_status", "cancel", "drop_dataset", "derive", "analysis", "fit_label_model",
        "models", "model", "delete_model", "import_model", "lfset_get", "lfset_put", "lfset_history", "dev_set_info",
        "manifest", "lf_kinds"), types);
  }

  private void assertFails(FlightStatusCode code, String fragment, String action, String body) {
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, () -> FlightNode.action(alice, action, body));
    assertEquals(code, e.status().code(), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention " + fragment);
  }
}
