package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.demo.ReviewsGenerator;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Derived columns and fault-tolerant LFs through the real Flight server. */
class DerivedColumnsFlightTest {
  static final int ROWS = 6000;
  static final long SEED = 23;

  @TempDir Path dir;

  /**
   * Verifies that DoAction derive stores a lowercase column that GetFlightInfo lists and DoGet streams
   * (equal to the text lowercased), that bad derive bodies are INVALID_ARGUMENT with a message, that an
   * LF reads the derived column; that a failing expression fails its job naming the LF and row, while
   * the fault-tolerant one abstains there and job_status counts its faults (the same again when served
   * from the label cache); and that drop_dataset removes the derived files with the dataset.
   */
  @Test
  void deriveThenApplyWithFaults() throws Exception {
    try (TestServer server = new TestServer(dir.resolve("data"), 2500);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", SEED, ROWS);
      JsonObject derived = FlightClients.action(client, "derive",
          "{\"dataset\":\"reviews\",\"name\":\"low\",\"kind\":\"lowercase\",\"column\":\"text\"}");
      assertEquals(new JsonObject().put("dataset", "reviews").put("version", 1).put("column", "low"),
          new JsonObject().put("dataset", derived.getString("dataset")).put("version", derived.getInteger("version"))
              .put("column", derived.getString("column")));
      assertEquals(ROWS, derived.getLong("rows"));
      for (String[] bad : new String[][] {
          {"{\"dataset\":\"reviews\",\"name\":\"x\",\"kind\":\"stem\",\"column\":\"text\"}", "unknown derivation kind"},
          {"{\"dataset\":\"reviews\",\"name\":\"text\",\"kind\":\"lowercase\",\"column\":\"text\"}", "already a column"},
          {"{\"dataset\":\"reviews\",\"name\":\"x\",\"kind\":\"regex_extract\",\"column\":\"text\",\"pattern\":\"[\"}", "invalid regex"}}) {
        FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
            () -> FlightClients.action(client, "derive", bad[0]));
        assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code(), bad[0]);
        assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
      }

      FlightInfo info = client.getInfo(FlightDescriptor.path("datasets", "reviews"));
      assertEquals("lowercase", info.getSchema().findField("low").getMetadata().get("labelflight.derived.kind"));
      int[] stars = new int[ROWS];
      int seen = 0;
      try (FlightStream stream = client.getStream(info.getEndpoints().get(0).getTicket())) {
        VectorSchemaRoot root = stream.getRoot();
        while (stream.next()) {
          VarCharVector text = (VarCharVector) root.getVector("text");
          VarCharVector low = (VarCharVector) root.getVector("low");
          for (int i = 0; i < root.getRowCount(); i++) {
            stars[seen + i] = ((IntVector) root.getVector("stars")).get(i);
            assertEquals(text.isNull(i) ? null : new String(text.get(i), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT),
                low.isNull(i) ? null : new String(low.get(i), StandardCharsets.UTF_8), "row " + (seen + i));
          }
          seen += root.getRowCount();
        }
      }
      assertEquals(ROWS, seen);

      String failing = "{\"name\":\"div\",\"kind\":\"expression\",\"expr\":\"100 / (stars - 3) > 10\",\"label\":\"SPAM\"";
      String strict = "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],\"mode\":\"queue\",\"lfs\":[" + failing + "}]}";
      JsonObject failed = FlightClients.awaitEnd(client,
          FlightClients.action(client, "apply", strict).getString("job"), 30_000);
      assertEquals("FAILED", failed.getString("state"));
      assertTrue(failed.getString("error").contains("LF 'div' (expression) failed on row ")
          && failed.getString("error").contains("faultTolerant"), failed.getString("error"));

      String tolerant = "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],\"mode\":\"queue\",\"lfs\":["
          + "{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"low\",\"keywords\":[\"great\"],\"caseSensitive\":true,\"label\":\"HAM\"},"
          + failing + ",\"faultTolerant\":true}]}";
      long threes = java.util.Arrays.stream(stars).filter(s -> s == 3).count();
      assertTrue(threes > 0);
      for (int run = 0; run < 2; run++) {
        String job = FlightClients.action(client, "apply", tolerant).getString("job");
        JsonObject status = FlightClients.awaitEnd(client, job, 30_000);
        assertEquals("SUCCEEDED", status.getString("state"), status.encode());
        assertEquals(new JsonObject().put("div", threes), status.getJsonObject("faults"), "run " + run);
        assertEquals(run == 0 ? 2 * 3 : 0, status.getLong("lfChunkEvaluations"), "the second run is served from the cache");
        byte[][] labels = FlightClients.labels(client, job, 2, ROWS);
        for (int row = 0; row < ROWS; row++) {
          int want = stars[row] == 3 ? -1 : 100 / (stars[row] - 3) > 10 ? 1 : -1;
          assertEquals(want, labels[1][row], "div row " + row);
        }
        try (VectorSchemaRoot data = new ReviewsGenerator(SEED).batch(0, ROWS, allocator)) {
          VarCharVector text = (VarCharVector) data.getVector("text");
          for (int row = 0; row < ROWS; row++) {
            boolean hit = !text.isNull(row)
                && new String(text.get(row), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT).contains("great");
            assertEquals(hit ? 0 : -1, labels[0][row], "kw row " + row);
          }
        }
      }

      FlightClients.action(client, "drop_dataset", "{\"dataset\":\"reviews\"}");
      assertTrue(Files.exists(dir.resolve("data").resolve("datasets")));
      assertTrue(!Files.exists(dir.resolve("data").resolve("datasets").resolve(dev.labelflight.engine.store.DatasetNames.qualify(TestServer.USER, "reviews"))));
    }
  }
}
