package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.testing.ReferenceLabels;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The categorical, expression, similarity and model LF kinds through the real Flight server. */
class NewLfKindsFlightTest {
  static final int ROWS = 12_000;
  static final String LFS = """
      [{"name":"src","kind":"categorical","column":"source","values":["forum","sms"],"label":"SPAM"},
       {"name":"rule","kind":"expression","expr":"size(text) > 120 && stars < 3","label":"SPAM"},
       {"name":"by_stars","kind":"expression","expr":"stars >= 4 ? 0 : -1"},
       {"name":"near","kind":"similarity","column":"emb","query":SPAM_CENTER,"threshold":0.7,"label":"SPAM"},
       {"name":"clf","kind":"model","column":"emb","model":"emb_spam.onnx","class":1,"threshold":0.8,"label":"SPAM"}]
      """.replace("SPAM_CENTER", Arrays.toString(ReviewsGenerator.SPAM_CENTER));

  @TempDir Path dir;

  private static Path copyModels(Path target) throws Exception {
    Files.createDirectories(target);
    for (String name : List.of("emb_spam.onnx", "emb_spam.json")) {
      try (InputStream in = NewLfKindsFlightTest.class.getResourceAsStream("/models/" + name)) {
        Files.copy(in, target.resolve(name));
      }
    }
    return target;
  }

  /**
   * Verifies that a job mixing the new kinds, with the model read from the configured models directory,
   * labels every row as the naive reference does; and that a missing model file or bad CEL comes back as
   * INVALID_ARGUMENT naming the LF.
   */
  @Test
  void newKindsThroughFlight() throws Exception {
    Path models = copyModels(dir.resolve("onnx"));
    JsonObject overrides = new JsonObject().put("models", new JsonObject().put("dir", models.toString()));
    try (TestServer server = new TestServer(dir.resolve("data"), 4096, overrides);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 17, 5000, 7000);
      String body = "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],\"lfs\":" + LFS + "}";
      String job = FlightClients.action(client, "apply", body).getString("job");
      JsonNode lfs = new ObjectMapper().readTree(LFS);
      byte[][] labels = new byte[lfs.size()][ROWS];
      int seen = 0;
      try (FlightStream stream = client.getStream(new Ticket(("labels/" + job).getBytes(StandardCharsets.UTF_8)))) {
        VectorSchemaRoot root = stream.getRoot();
        while (stream.next()) {
          for (int i = 0; i < root.getRowCount(); i++) {
            for (int lf = 0; lf < lfs.size(); lf++) {
              labels[lf][seen + i] = ((TinyIntVector) root.getVector(lf + 1)).get(i);
            }
          }
          seen += root.getRowCount();
        }
      }
      assertEquals(ROWS, seen);
      int[] votes = new int[lfs.size()];
      try (VectorSchemaRoot rows = new ReviewsGenerator(17).batch(0, ROWS, allocator)) {
        for (int row = 0; row < ROWS; row++) {
          Map<String, Object> values = ReferenceLabels.row(rows, row);
          for (int lf = 0; lf < lfs.size(); lf++) {
            JsonNode spec = lfs.get(lf);
            if (spec.get("kind").asText().equals("model") && Math.abs(ReferenceLabels.modelScore(
                models.resolve("emb_spam.onnx"), values.get("emb"), 1) - 0.8) < 1e-4) {
              continue; // float32 inference against a double reference: too close to call
            }
            int expected = ReferenceLabels.label(spec, values, List.of("HAM", "SPAM"), models);
            if (expected != labels[lf][row]) {
              throw new AssertionError("LF " + spec.get("name") + " row " + row + ": expected " + expected
                  + " got " + labels[lf][row] + " for " + values);
            }
            votes[lf] += expected >= 0 ? 1 : 0;
          }
        }
      }
      for (int lf = 0; lf < lfs.size(); lf++) {
        assertTrue(votes[lf] > 100 && votes[lf] < ROWS, "LF " + lf + " should vote on some rows: " + votes[lf]);
      }

      assertInvalid(client, "{\"name\":\"clf2\",\"kind\":\"model\",\"column\":\"emb\",\"model\":\"nope.onnx\","
          + "\"class\":1,\"threshold\":0.5,\"label\":\"SPAM\"}", "LF 'clf2'", "nope.onnx");
      assertInvalid(client, "{\"name\":\"cel\",\"kind\":\"expression\",\"expr\":\"stars >\",\"label\":\"SPAM\"}",
          "LF 'cel'", "invalid CEL");
      assertEquals(List.of(), server.blockedEventLoops);
    }
  }

  private static void assertInvalid(FlightClient client, String lf, String... mentions) {
    String body = "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],\"lfs\":[" + lf + "]}";
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, () -> FlightClients.action(client, "apply", body));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code());
    for (String mention : mentions) {
      assertTrue(e.getMessage().contains(mention), e.getMessage() + " should mention " + mention);
    }
  }
}
