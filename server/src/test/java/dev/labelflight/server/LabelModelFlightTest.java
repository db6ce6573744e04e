package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.labelmodel.GenerativeModel;
import dev.labelflight.engine.labelmodel.VotePatterns;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LF analysis, label-model fits and probability streams through the real Flight server on loopback. */
class LabelModelFlightTest {
  private static final int ROWS = 20_000;
  private static final String LFS = """
      [{"name":"kw_spam","kind":"keyword","column":"text","keywords":["free money","winner","click here","act now"],"label":"SPAM"},
       {"name":"re_url","kind":"regex","column":"text","pattern":"https?://|www\\\\.","label":"SPAM"},
       {"name":"low_stars","kind":"numeric","column":"stars","op":"<","value":2,"label":"SPAM"},
       {"name":"kw_good","kind":"keyword","column":"text","keywords":["great","love","recommend"],"label":"HAM"},
       {"name":"high_stars","kind":"numeric","column":"stars","op":">=","value":4,"label":"HAM"}]
      """;

  @TempDir Path dir;

  /**
   * Verifies that the analysis with gold equals counts taken directly from the streamed label matrix and
   * the generated gold column; that both label models stream one probability row per dataset row, in
   * order, each summing to 1, with majority vote equal to a plain recount of the votes; and that majority
   * vote's right and wrong predictions are bounded by the LFs' correct and incorrect counts.
   */
  @Test
  void analysisModelsAndProbabilities() throws Exception {
    try (TestServer server = new TestServer(dir, 4096);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 5, 7_000, 13_000);
      String job = FlightClients.action(client, "apply",
          "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],\"lfs\":" + LFS + "}").getString("job");

      // Analysis right after apply: it waits for the job to end.
      JsonObject analysis = FlightClients.action(client, "analysis",
          new JsonObject().put("job", job).put("gold", "gold").encode());
      byte[][] labels = streamLabels(client, job, 5);
      byte[] gold = generatedGold();
      assertEquals(ROWS, analysis.getLong("rows"));
      JsonArray lfs = analysis.getJsonArray("lfs");
      assertEquals(5, lfs.size());
      long sumCorrect = 0;
      long sumIncorrect = 0;
      int covered = 0;
      for (int r = 0; r < ROWS; r++) {
        boolean any = false;
        for (byte[] column : labels) {
          any |= column[r] != -1;
        }
        covered += any ? 1 : 0;
      }
      for (int j = 0; j < 5; j++) {
        JsonObject lf = lfs.getJsonObject(j);
        long votes = 0;
        long right = 0;
        for (int r = 0; r < ROWS; r++) {
          if (labels[j][r] != -1) {
            votes++;
            right += labels[j][r] == gold[r] ? 1 : 0;
          }
        }
        assertEquals(j, lf.getInteger("j"));
        assertEquals((double) votes / ROWS, lf.getDouble("coverage"), 1e-12, lf.getString("name"));
        assertEquals(right, lf.getLong("correct"), lf.getString("name"));
        assertEquals(votes - right, lf.getLong("incorrect"), lf.getString("name"));
        assertEquals(votes == 0 ? 0.0 : (double) right / votes, lf.getDouble("emp_acc"), 1e-12);
        assertEquals(List.of(j < 3 ? 1 : 0), lf.getJsonArray("polarity").getList());
        sumCorrect += right;
        sumIncorrect += votes - right;
      }
      assertEquals((double) covered / ROWS, analysis.getJsonObject("totals").getDouble("coverage"), 1e-12);
      assertTrue(analysis.getJsonObject("totals").getDouble("conflict") > 0, "these LFs disagree somewhere");

      JsonObject majority = FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", job).put("model", "majority").put("tiePolicy", "abstain").encode());
      assertEquals(List.of("HAM", "SPAM"), majority.getJsonArray("classes").getList());
      assertEquals("majority", majority.getString("kind"));
      float[][] mv = streamProbs(client, "probs/" + job + "/" + majority.getString("model"));
      long mvRight = 0;
      long mvWrong = 0;
      for (int r = 0; r < ROWS; r++) {
        int ham = 0;
        int spam = 0;
        for (byte[] column : labels) {
          ham += column[r] == 0 ? 1 : 0;
          spam += column[r] == 1 ? 1 : 0;
        }
        float expectedSpam = spam > ham ? 1f : spam < ham ? 0f : 0.5f;
        assertEquals(expectedSpam, mv[1][r], 0f, "majority vote of row " + r);
        if (ham != spam) {
          boolean right = (spam > ham ? 1 : 0) == gold[r];
          mvRight += right ? 1 : 0;
          mvWrong += right ? 0 : 1;
        }
      }
      // A right (wrong) majority needs at least one right (wrong) vote; decided rows are covered rows.
      assertTrue(mvRight <= sumCorrect && mvWrong <= sumIncorrect && mvRight + mvWrong <= covered);
      byte[] mvPreds = streamPreds(client, "preds/" + job + "/" + majority.getString("model"));
      long decided = 0;
      for (int r = 0; r < ROWS; r++) {
        decided += mvPreds[r] != -1 ? 1 : 0;
      }
      assertEquals(mvRight + mvWrong, decided, "tie policy 'abstain' abstains exactly on ties");

      JsonObject generative = FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", job).put("model", "generative").put("epochs", 200).encode());
      assertEquals(5, generative.getJsonArray("weights").size());
      assertEquals(1.0, generative.getJsonArray("classBalance").stream().mapToDouble(x -> ((Number) x).doubleValue()).sum(), 1e-9);
      float[][] probs = streamProbs(client, "probs/" + job + "/" + generative.getString("model"));
      long genRight = 0;
      for (int r = 0; r < ROWS; r++) {
        genRight += (probs[1][r] > probs[0][r] ? 1 : 0) == gold[r] ? 1 : 0;
      }
      assertTrue(genRight > ROWS / 2, "the generative model beats a coin: " + genRight + " of " + ROWS);

      assertFails(FlightStatusCode.NOT_FOUND, "not found",
          () -> streamProbs(client, "probs/" + job + "/no-such-model"));
      assertFails(FlightStatusCode.NOT_FOUND, "not found", () -> FlightClients.action(client, "analysis",
          "{\"job\":\"00000000-0000-0000-0000-000000000000\"}"));
      assertFails(FlightStatusCode.INVALID_ARGUMENT, "'nope'", () -> FlightClients.action(client, "analysis",
          new JsonObject().put("job", job).put("gold", "nope").encode()));
      assertFails(FlightStatusCode.INVALID_ARGUMENT, "'price'", () -> FlightClients.action(client, "analysis",
          new JsonObject().put("job", job).put("gold", "price").encode()));
      assertFails(FlightStatusCode.INVALID_ARGUMENT, "'source'", () -> FlightClients.action(client, "analysis",
          new JsonObject().put("job", job).put("gold", "source").encode()));
      assertFails(FlightStatusCode.INVALID_ARGUMENT, "'model'", () -> FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", job).put("model", "magic").encode()));
      assertFails(FlightStatusCode.INVALID_ARGUMENT, "'tiePolicy'", () -> FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", job).put("model", "majority").put("tiePolicy", "coin").encode()));
      assertFails(FlightStatusCode.INVALID_ARGUMENT, "'classBalance'", () -> FlightClients.action(client,
          "fit_label_model", new JsonObject().put("job", job).put("model", "generative")
              .put("classBalance", new JsonArray().add(0.2).add(0.2).add(0.6)).encode()));
      assertEquals(List.of(), server.blockedEventLoops);
    }
  }

  /**
   * Verifies that a generative fit whose vote patterns overflow the configured table falls back to
   * reading the label chunks once per epoch, and ends with the same model as a fit from all patterns.
   */
  @Test
  void generativeFitWithoutRoomForPatterns() throws Exception {
    JsonObject tiny = new JsonObject().put("labelModels", new JsonObject().put("maxPatternBytes", 64));
    try (TestServer server = new TestServer(dir, 1000, tiny);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 5, ROWS);
      String job = FlightClients.action(client, "apply",
          "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],\"lfs\":" + LFS + "}").getString("job");
      JsonObject fitted = FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", job).put("model", "generative").encode());
      byte[][] labels = streamLabels(client, job, 5);
      VotePatterns patterns = new VotePatterns(5, 1 << 16);
      patterns.add(new LabelChunk(0, ROWS, labels));
      assertTrue(patterns.size() > 64 / (5 + 16), "the server's table cannot hold them all");
      GenerativeModel expected = GenerativeModel.fit(patterns, 2, GenerativeModel.Options.defaults());
      assertEquals(expected.epochs(), fitted.getInteger("epochs"));
      for (int j = 0; j < 5; j++) {
        assertEquals(expected.weights()[j], fitted.getJsonArray("weights").getDouble(j), 1e-9);
      }
      float[][] probs = streamProbs(client, "probs/" + job + "/" + fitted.getString("model"));
      double[][] p = new double[2][ROWS];
      expected.predictProba(new LabelChunk(0, ROWS, labels), p);
      for (int r = 0; r < ROWS; r++) {
        assertEquals((float) p[1][r], probs[1][r], 1e-6f);
      }
    }
  }

  /**
   * Verifies partial fits through Flight: a model fitted on one dataset, partially fitted on the rows of
   * a second dataset (same LFs), matches a fit on both label matrices together within 0.02; a model of
   * 3 LFs partially fitted on a job with 5 LFs matches the fit of the 5 LFs; bad partial fits fail clearly.
   */
  @Test
  void partialFits() throws Exception {
    try (TestServer server = new TestServer(dir, 4096);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "first", 5, ROWS);
      FlightClients.uploadReviews(client, allocator, "second", 6, ROWS);
      String apply = "{\"labels\":[\"HAM\",\"SPAM\"],\"lfs\":" + LFS + ",\"dataset\":";
      String jobA = FlightClients.action(client, "apply", apply + "\"first\"}").getString("job");
      String jobB = FlightClients.action(client, "apply", apply + "\"second\"}").getString("job");
      JsonObject base = FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", jobA).put("model", "generative").encode());
      JsonObject both = FlightClients.action(client, "fit_label_model", new JsonObject().put("job", jobB)
          .put("model", "generative").put("baseModel", base.getString("model")).put("partialFit", "rows").encode());
      assertEquals(2L * ROWS, both.getLong("rows"));
      List<LabelChunk> chunks = List.of(new LabelChunk(0, ROWS, streamLabels(client, jobA, 5)),
          new LabelChunk(ROWS, ROWS, streamLabels(client, jobB, 5)));
      GenerativeModel.Fitter whole = new GenerativeModel.Fitter(5, 2, GenerativeModel.Options.defaults());
      while (!whole.done()) {
        chunks.forEach(c -> whole.add(c, null));
        whole.endEpoch();
      }
      for (int j = 0; j < 5; j++) {
        assertEquals(whole.model().weights()[j], both.getJsonArray("weights").getDouble(j), 0.02);
      }
      float[][] probs = streamProbs(client, "probs/" + jobB + "/" + both.getString("model"));
      double[][] expected = new double[2][ROWS];
      whole.model().predictProba(chunks.get(1), expected);
      for (int r = 0; r < ROWS; r++) {
        assertEquals(expected[1][r], probs[1][r], 0.05);
      }

      // Both classes among the base model's LFs, so that its fit is anchored too.
      JsonArray lfs = new JsonArray(LFS);
      JsonArray five = new JsonArray();
      for (int j : new int[] {0, 3, 1, 4, 2}) {
        five.add(lfs.getValue(j));
      }
      JsonArray three = new JsonArray(five.getList().subList(0, 3));
      JsonObject labels = new JsonObject().put("dataset", "first").put("labels", new JsonArray().add("HAM").add("SPAM"));
      String jobThree = FlightClients.action(client, "apply", labels.copy().put("lfs", three).encode()).getString("job");
      String jobFive = FlightClients.action(client, "apply", labels.copy().put("lfs", five).encode()).getString("job");
      JsonObject small = FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", jobThree).put("model", "generative").encode());
      JsonObject grown = FlightClients.action(client, "fit_label_model", new JsonObject().put("job", jobFive)
          .put("model", "generative").put("baseModel", small.getString("model")).put("partialFit", "lfs").encode());
      JsonObject direct = FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", jobFive).put("model", "generative").encode());
      for (int j = 0; j < 5; j++) {
        assertEquals(direct.getJsonArray("weights").getDouble(j), grown.getJsonArray("weights").getDouble(j), 0.02,
            direct.getJsonArray("weights") + " vs " + grown.getJsonArray("weights"));
      }

      assertFails(FlightStatusCode.INVALID_ARGUMENT, "LFs", () -> FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", jobThree).put("model", "generative").put("baseModel", base.getString("model"))
              .put("partialFit", "rows").encode()));
      assertFails(FlightStatusCode.INVALID_ARGUMENT, "'partialFit'", () -> FlightClients.action(client,
          "fit_label_model", new JsonObject().put("job", jobB).put("model", "generative")
              .put("baseModel", base.getString("model")).encode()));
      assertFails(FlightStatusCode.INVALID_ARGUMENT, "\"rows\" or \"lfs\"", () -> FlightClients.action(client,
          "fit_label_model", new JsonObject().put("job", jobB).put("model", "generative")
              .put("baseModel", base.getString("model")).put("partialFit", "columns").encode()));
      assertFails(FlightStatusCode.NOT_FOUND, "not found", () -> FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", jobB).put("model", "generative").put("baseModel", "nope")
              .put("partialFit", "rows").encode()));
    }
  }

  /** Verifies that analysis and fits of a cancelled job fail clearly instead of waiting or using partial labels. */
  @Test
  void cancelledJobIsRefused() throws Exception {
    try (TestServer server = new TestServer(dir, 256);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 5, ROWS);
      String job = FlightClients.action(client, "apply",
          "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],\"lfs\":" + LFS + "}").getString("job");
      JsonObject status = FlightClients.action(client, "cancel", new JsonObject().put("job", job).encode());
      // 79 chunks of 256 rows on 2 workers: the cancel arrives long before the last chunk.
      assertEquals("CANCELLED", status.getString("state"));
      assertFails(FlightStatusCode.CANCELLED, "cancelled", () -> FlightClients.action(client, "analysis",
          new JsonObject().put("job", job).encode()));
      assertFails(FlightStatusCode.CANCELLED, "cancelled", () -> FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", job).put("model", "generative").encode()));
    }
  }

  private interface Call {
    void run() throws Exception;
  }

  private static void assertFails(FlightStatusCode code, String fragment, Call call) {
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, call::run);
    assertEquals(code, e.status().code(), e.getMessage());
    assertNotNull(e.status().description());
    assertTrue(e.status().description().contains(fragment), e.status().description());
  }

  private static byte[] generatedGold() {
    try (RootAllocator allocator = new RootAllocator();
         VectorSchemaRoot root = new ReviewsGenerator(5).batch(0, ROWS, allocator)) {
      IntVector gold = (IntVector) root.getVector("gold");
      byte[] out = new byte[ROWS];
      for (int r = 0; r < ROWS; r++) {
        out[r] = (byte) gold.get(r);
      }
      return out;
    }
  }

  private static byte[][] streamLabels(FlightClient client, String job, int lfs) throws Exception {
    byte[][] labels = new byte[lfs][ROWS];
    int seen = 0;
    try (FlightStream stream = client.getStream(new Ticket(("labels/" + job).getBytes(StandardCharsets.UTF_8)))) {
      VectorSchemaRoot root = stream.getRoot();
      while (stream.next()) {
        for (int i = 0; i < root.getRowCount(); i++) {
          for (int j = 0; j < lfs; j++) {
            labels[j][seen + i] = ((TinyIntVector) root.getVector(j + 1)).get(i);
          }
        }
        seen += root.getRowCount();
      }
    }
    assertEquals(ROWS, seen);
    return labels;
  }

  private static float[][] streamProbs(FlightClient client, String ticket) throws Exception {
    float[][] probs = new float[2][ROWS];
    int seen = 0;
    try (FlightStream stream = client.getStream(new Ticket(ticket.getBytes(StandardCharsets.UTF_8)))) {
      VectorSchemaRoot root = stream.getRoot();
      assertEquals(List.of("row_id", "HAM", "SPAM"), root.getSchema().getFields().stream().map(f -> f.getName()).toList());
      while (stream.next()) {
        BigIntVector rowId = (BigIntVector) root.getVector(0);
        for (int i = 0; i < root.getRowCount(); i++) {
          assertEquals(seen + i, rowId.get(i), "rows in dataset order");
          float ham = ((Float4Vector) root.getVector(1)).get(i);
          float spam = ((Float4Vector) root.getVector(2)).get(i);
          assertEquals(1.0, ham + spam, 1e-5, "probabilities of row " + (seen + i) + " sum to 1");
          probs[0][seen + i] = ham;
          probs[1][seen + i] = spam;
        }
        seen += root.getRowCount();
      }
    }
    assertEquals(ROWS, seen);
    return probs;
  }

  private static byte[] streamPreds(FlightClient client, String ticket) throws Exception {
    byte[] preds = new byte[ROWS];
    int seen = 0;
    try (FlightStream stream = client.getStream(new Ticket(ticket.getBytes(StandardCharsets.UTF_8)))) {
      VectorSchemaRoot root = stream.getRoot();
      while (stream.next()) {
        for (int i = 0; i < root.getRowCount(); i++) {
          preds[seen + i] = ((TinyIntVector) root.getVector(1)).get(i);
        }
        seen += root.getRowCount();
      }
    }
    assertEquals(ROWS, seen);
    return preds;
  }
}
