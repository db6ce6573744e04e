package dev.labelflight.server;

import dev.labelflight.engine.memory.footprint.ResidentFootprint;
import dev.labelflight.engine.memory.footprint.LabelFootprint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16.1, the resident wedge, against a real server process: a dataset whose resident copy is just
 * under the node's free budget (so the copy fits, but the copy and a job's label arrays together do not).
 * Resident admission must never wait forever: a forced resident job ends with RESOURCE_EXHAUSTED naming
 * the bytes it needs and the bytes free, an auto job runs on the task queue, other jobs keep running and
 * SIGTERM ends the process in bounded time. One server for the class (its start is most of the cost).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class ResidentAdmissionTest {
  static final int ROWS = 20_000;
  static final int CHUNK_ROWS = 2_000;
  static final Duration BOUND = Duration.ofSeconds(20);

  @TempDir static Path dir;
  private ServerProcess server;
  private RootAllocator allocator;
  private FlightClient client;
  private long residentBytes;
  private long budgetBytes;

  @BeforeAll
  void start() throws Exception {
    Path data = dir.resolve("data");
    Files.createDirectories(data);
    allocator = new RootAllocator();
    // The datasets are written before the server starts, so that its budget can be sized to the copy.
    Manifest wedge = write(data, "wedge", 21);
    write(data, "other", 22);
    residentBytes = ResidentFootprint.of(wedge);
    long budgetMiB = (residentBytes >> 20) + 1;
    budgetBytes = budgetMiB << 20;
    assertTrue(budgetBytes - residentBytes < LabelFootprint.chunk(CHUNK_ROWS, 3),
        "the copy leaves less free than one chunk's labels need");
    server = new ServerProcess(data, dir.resolve("server.log"), CHUNK_ROWS, Map.of(
        "LABELFLIGHT_MEMORY_BUDGETMIB", String.valueOf(budgetMiB),
        "LABELFLIGHT_CACHE_HOTMIB", "0",
        "LABELFLIGHT_RESIDENT_ADMISSIONWAITMS", "2000"));
    client = server.client(allocator);
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (client != null) {
        client.close();
      }
      allocator.close();
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  private Manifest write(Path data, String name, long seed) {
    DatasetStore store = new DatasetStore(data, CHUNK_ROWS);
    try (BufferAllocator upload = allocator.newChildAllocator(name, 0, Long.MAX_VALUE);
         DatasetUpload writer = store.beginUpload(DatasetNames.qualify(ServerProcess.DEV_USER, name),
             ReviewsGenerator.SCHEMA, upload);
         VectorSchemaRoot batch = new ReviewsGenerator(seed).batch(0, ROWS, upload)) {
      writer.append(batch);
      return writer.commit();
    }
  }

  private String apply(String dataset, String mode) {
    return FlightClients.action(client, "apply", "{\"dataset\":\"" + dataset + "\",\"labels\":[\"HAM\",\"SPAM\"],"
        + "\"mode\":\"" + mode + "\",\"lfs\":" + HybridExecutionTest.LFS + "}").getString("job");
  }

  private JsonObject status(String job) {
    return FlightClients.action(client, "job_status", "{\"job\":\"" + job + "\"}");
  }

  private JsonObject awaitEnd(String job) throws Exception {
    return Await.until(BOUND, () -> status(job), s -> !s.getString("state").equals("RUNNING"), "job " + job + " ends");
  }

  private long freeBytes() throws Exception {
    return server.http("/health").getJsonObject("memory").getLong("freeBytes");
  }

  /**
   * Verifies that a forced resident job on a dataset whose copy is just under the free budget ends within
   * the bound as FAILED with RESOURCE_EXHAUSTED saying how many MiB it needs and how many are free (the
   * right numbers), that a queued job of another dataset completes meanwhile, and that the whole budget
   * comes back.
   */
  @Test
  @org.junit.jupiter.api.Order(1)
  void forcedResidentThatCannotBeAdmittedFailsWithNumbersAndOthersRun() throws Exception {
    String wedged = apply("wedge", "resident");
    String other = apply("other", "queue");
    JsonObject otherEnd = awaitEnd(other);
    assertEquals("SUCCEEDED", otherEnd.getString("state"), otherEnd.encode());
    JsonObject end = awaitEnd(wedged);
    assertEquals("FAILED", end.getString("state"), end.encode());
    String error = end.getString("error");
    assertEquals("RESOURCE_EXHAUSTED", end.getString("errorKind"), end.encode());
    long copyMiB = (residentBytes + (1 << 20) - 1) >> 20;
    assertTrue(error.contains(copyMiB + " MiB for a resident copy"), "names the copy's MiB (" + copyMiB + "): " + error);
    assertTrue(error.contains("more than the budget of " + (budgetBytes >> 20) + " MiB"), "names the budget: " + error);
    Await.condition(BOUND, () -> freeBytes() == budgetBytes, "every permit back");
  }

  /**
   * Verifies that in mode auto the same dataset runs on the task queue (the router does not load a copy
   * that would leave no room for a job's labels) and says why with the right numbers.
   */
  @Test
  @org.junit.jupiter.api.Order(2)
  void autoRunsOnTheQueueWithTheRightNumbers() throws Exception {
    for (int i = 0; i < 2; i++) {
      JsonObject end = awaitEnd(apply("wedge", "auto"));
      assertEquals("SUCCEEDED", end.getString("state"), end.encode());
      assertEquals("queue", end.getString("path"), end.encode());
      assertTrue(!end.getString("route").contains("fits the free budget (" + (residentBytes >> 20)),
          "no claim that the copy's size is the free budget: " + end.getString("route"));
    }
    Await.condition(BOUND, () -> freeBytes() == budgetBytes, "every permit back");
  }

  /** Verifies that SIGTERM ends the process (exit 0) within the bound, even after the cases above. */
  @Test
  @org.junit.jupiter.api.Order(Integer.MAX_VALUE)
  void sigtermEndsInBoundedTime() throws Exception {
    apply("wedge", "resident");
    server.process.destroy();
    assertTrue(server.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS), "server still running after SIGTERM");
    assertEquals(0, server.process.exitValue());
  }
}
