package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.labelmodel.LabelModel;
import dev.labelflight.engine.labelmodel.LabelModels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Label models as stored artifacts of their user, through the real Flight server on loopback. */
class LabelModelArtifactsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LFS = """
      [{"name":"kw_spam","kind":"keyword","column":"text","keywords":["free money","winner","click here","act now"],"label":"SPAM"},
       {"name":"re_url","kind":"regex","column":"text","pattern":"https?://|www\\\\.","label":"SPAM"},
       {"name":"low_stars","kind":"numeric","column":"stars","op":"<","value":2,"label":"SPAM"},
       {"name":"kw_good","kind":"keyword","column":"text","keywords":["great","love","recommend"],"label":"HAM"},
       {"name":"high_stars","kind":"numeric","column":"stars","op":">=","value":4,"label":"HAM"}]
      """;

  @TempDir Path dir;

  private static String apply(FlightClient client, String dataset, String labels, String lfs) {
    return FlightClients.action(client, "apply", "{\"dataset\":\"" + dataset + "\",\"labels\":" + labels + ",\"lfs\":"
        + lfs + "}").getString("job");
  }

  /**
   * Verifies that a model fitted on one dataset is stored as NAME@v1, survives a restart of the server, and
   * predicts on another dataset's job with the same LFs: the streamed probabilities equal the stored
   * parameters applied to that job's label matrix; a second fit under the name is v2, and the listing shows both.
   */
  @Test
  void fitRestartPredictOnAnotherDataset() throws Exception {
    String model;
    try (TestServer server = new TestServer(dir, 4096);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "train", 5, 12_000);
      FlightClients.uploadReviews(client, allocator, "fresh", 9, 7_000);
      String job = apply(client, "train", "[\"HAM\",\"SPAM\"]", LFS);
      JsonObject fitted = FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", job).put("model", "generative").put("name", "spam").encode());
      model = fitted.getString("model");
      assertEquals("spam@v1", model);
      assertTrue(fitted.getJsonObject("fit").getBoolean("converged"), fitted.encodePrettily());
      assertFalse(fitted.getJsonObject("fit").getJsonArray("loss").isEmpty());
      assertEquals(0.0, fitted.getJsonObject("diagnostics").getDouble("agreementWithMajority"), 1.0);
    }
    try (TestServer server = new TestServer(dir, 4096);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      String other = apply(client, "fresh", "[\"HAM\",\"SPAM\"]", LFS);
      FlightClients.awaitEnd(client, other, 60_000);
      float[][] probs = probs(client, "probs/" + other + "/" + model, 7_000);
      JsonObject described = FlightClients.action(client, "model", new JsonObject().put("model", model).encode());
      LabelModel params = LabelModels.fromJson(JSON.readTree(described.getJsonObject("document")
          .getJsonObject("params").encode()));
      byte[][] labels = FlightClients.labels(client, other, 5, 7_000);
      double[][] expected = new double[2][7_000];
      params.predictProba(new LabelChunk(0, 7_000, labels), expected);
      for (int r = 0; r < 7_000; r++) {
        assertEquals(expected[1][r], probs[1][r], 1e-6, "row " + r);
      }
      String job = apply(client, "fresh", "[\"HAM\",\"SPAM\"]", LFS);
      FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", job).put("model", "majority").put("name", "spam").encode());
      JsonArray listed = FlightClients.action(client, "models", "{}").getJsonArray("models");
      assertEquals(1, listed.size());
      assertEquals(List.of(1, 2), listed.getJsonObject(0).getJsonArray("versions").getList());
      assertEquals("majority", listed.getJsonObject(0).getString("kind"));
    }
  }

  /**
   * Verifies auto selection with a dev gold column: every candidate is reported with its dev accuracy, the
   * chosen one has the best, and the rule says the choice was made on dev rows; without gold the rule says
   * it is unsupervised.
   */
  @Test
  void autoPicksOnDevGold() throws Exception {
    try (TestServer server = new TestServer(dir, 4096);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 5, 10_000);
      String job = apply(client, "reviews", "[\"HAM\",\"SPAM\"]", LFS);
      JsonObject auto = FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", job).put("model", "auto").put("gold", "gold").encode());
      JsonObject selection = auto.getJsonObject("selection");
      assertTrue(selection.getBoolean("supervised"));
      assertTrue(selection.getString("rule").contains("dev rows"), selection.getString("rule"));
      double best = 0;
      for (Object o : selection.getJsonArray("candidates")) {
        JsonObject c = (JsonObject) o;
        if (c.containsKey("devAccuracy")) {
          best = Math.max(best, c.getDouble("devAccuracy"));
        }
      }
      assertEquals(6, selection.getJsonArray("candidates").size());
      assertEquals(best, auto.getDouble("devAccuracy"), 1e-12);
      assertEquals(selection.getString("chosen"), auto.getString("kind"));
      JsonObject unsupervised = FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", job).put("model", "auto").encode());
      assertTrue(unsupervised.getJsonObject("selection").getString("rule").startsWith("unsupervised"));
    }
  }

  /**
   * Verifies the errors of stored models: predicting on a job without one of the model's LFs or with a
   * changed LF names the LF; another label space is refused; a deleted model, a missing one and another
   * user's model are NOT_FOUND alike; a corrupt version is named; an exported document imports back and
   * predicts the same.
   */
  @Test
  void storedModelErrors() throws Exception {
    try (TestServer server = new TestServer(dir, 4096);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator);
         FlightClient bob = server.client(allocator, TestServer.OTHER_TOKEN)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 5, 5_000);
      String job = apply(client, "reviews", "[\"HAM\",\"SPAM\"]", LFS);
      String model = FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", job).put("model", "dawid-skene").put("name", "ds").encode()).getString("model");

      JsonArray withoutLast = new JsonArray(LFS);
      withoutLast.remove(4);
      String fewer = apply(client, "reviews", "[\"HAM\",\"SPAM\"]", withoutLast.encode());
      FlightClients.awaitEnd(client, fewer, 60_000);
      assertFails(FlightStatusCode.INVALID_ARGUMENT, "'high_stars'", () -> probs(client, "probs/" + fewer + "/" + model, 5_000));
      String changed = apply(client, "reviews", "[\"HAM\",\"SPAM\"]", LFS.replace("\"value\":2", "\"value\":3"));
      FlightClients.awaitEnd(client, changed, 60_000);
      assertFails(FlightStatusCode.INVALID_ARGUMENT, "LF 'low_stars' changed", () -> probs(client, "probs/" + changed + "/" + model, 5_000));
      String swapped = apply(client, "reviews", "[\"SPAM\",\"HAM\"]", LFS);
      FlightClients.awaitEnd(client, swapped, 60_000);
      assertFails(FlightStatusCode.INVALID_ARGUMENT, "label space", () -> probs(client, "probs/" + swapped + "/" + model, 5_000));

      assertFails(FlightStatusCode.NOT_FOUND, "not found", () -> FlightClients.action(bob, "model",
          new JsonObject().put("model", "ds").encode()));
      assertEquals(0, FlightClients.action(bob, "models", "{}").getJsonArray("models").size());

      JsonObject exported = FlightClients.action(client, "model", new JsonObject().put("model", model).encode());
      JsonObject imported = FlightClients.action(client, "import_model", new JsonObject().put("name", "copy")
          .put("document", exported.getJsonObject("document")).encode());
      assertEquals("copy@v1", imported.getString("model"));
      float[][] original = probs(client, "probs/" + job + "/" + model, 5_000);
      float[][] copy = probs(client, "probs/" + job + "/copy@v1", 5_000);
      for (int r = 0; r < 5_000; r++) {
        assertEquals(original[1][r], copy[1][r], 0f);
      }
      assertFails(FlightStatusCode.INVALID_ARGUMENT, "inconsistent", () -> FlightClients.action(client, "import_model",
          new JsonObject().put("name", "bad").put("document", exported.getJsonObject("document").copy()
              .put("lfs", new JsonArray())).encode()));

      Path file = server.dataDir.resolve("labelmodels/" + TestServer.USER + "~copy/v000001/model.json");
      byte[] bytes = Files.readAllBytes(file);
      bytes[bytes.length / 3] ^= 1;
      Files.write(file, bytes);
      assertFails(FlightStatusCode.INTERNAL, "'copy' v1 is corrupt", () -> FlightClients.action(client, "model",
          new JsonObject().put("model", "copy").encode()));
      assertEquals(model, FlightClients.action(client, "model", new JsonObject().put("model", "ds").encode())
          .getString("model"), "another model is unaffected");

      FlightClients.action(client, "delete_model", new JsonObject().put("model", "ds").encode());
      assertFails(FlightStatusCode.NOT_FOUND, "not found", () -> probs(client, "probs/" + job + "/" + model, 5_000));
    }
  }

  private interface Call {
    void run() throws Exception;
  }

  private static void assertFails(FlightStatusCode code, String fragment, Call call) {
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, call::run);
    assertEquals(code, e.status().code(), e.getMessage());
    assertTrue(e.status().description().contains(fragment), e.status().description());
  }

  private static float[][] probs(FlightClient client, String ticket, int rows) throws Exception {
    float[][] probs = new float[2][rows];
    int seen = 0;
    try (FlightStream stream = client.getStream(new Ticket(ticket.getBytes(StandardCharsets.UTF_8)))) {
      VectorSchemaRoot root = stream.getRoot();
      while (stream.next()) {
        for (int i = 0; i < root.getRowCount(); i++) {
          probs[0][seen + i] = ((Float4Vector) root.getVector(1)).get(i);
          probs[1][seen + i] = ((Float4Vector) root.getVector(2)).get(i);
        }
        seen += root.getRowCount();
      }
    }
    assertEquals(rows, seen);
    return probs;
  }
}
