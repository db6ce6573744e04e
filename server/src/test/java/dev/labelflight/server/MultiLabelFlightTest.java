package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.demo.ReviewsGenerator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A multi-label job end to end: apply, labels, per-class analysis, per-class label model. */
class MultiLabelFlightTest {
  static final int ROWS = 6000;
  static final int CLASSES = 3;
  @TempDir Path dir;

  /**
   * Verifies that a multi-label job on generated reviews gives, for each class, the Snorkel LF analysis
   * (coverage, overlaps, conflicts, polarity) that an independent computation over the streamed label
   * matrix gives for the LFs about that class, and that its label model streams one probability per class.
   */
  @Test
  void perClassAnalysisEqualsAnIndependentComputation() throws Exception {
    String lfs = ScaleApplyFlightTest.lfs(i -> "c" + (i % CLASSES), i -> i % 4 == 3 ? "negative" : "positive");
    int m = ReviewsGenerator.WORDS.size();
    try (TestServer server = new TestServer(dir, 1500);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 13, ROWS);
      String job = FlightClients.action(client, "apply", new JsonObject().put("dataset", "reviews")
          .put("labels", ScaleApplyFlightTest.classes(CLASSES)).put("multiLabel", true)
          .put("lfs", new JsonArray(lfs)).encode()).getString("job");
      JsonObject end = FlightClients.awaitEnd(client, job, 120_000);
      assertEquals("SUCCEEDED", end.getString("state"), end.encode());
      assertEquals(true, end.getBoolean("multiLabel"));
      byte[][] labels = FlightClients.labels(client, job, m, ROWS);

      JsonObject analysis = FlightClients.action(client, "analysis", new JsonObject().put("job", job).encode());
      assertEquals(ROWS, analysis.getLong("rows"));
      JsonArray perClass = analysis.getJsonArray("classes");
      assertEquals(CLASSES, perClass.size());
      for (int c = 0; c < CLASSES; c++) {
        JsonObject one = perClass.getJsonObject(c);
        assertEquals("c" + c, one.getString("class"));
        List<Integer> about = new ArrayList<>();
        for (int j = c; j < m; j += CLASSES) {
          about.add(j);
        }
        JsonArray reported = one.getJsonArray("lfs");
        assertEquals(about.size(), reported.size(), one.encode());
        for (int k = 0; k < about.size(); k++) {
          int j = about.get(k);
          JsonObject lf = reported.getJsonObject(k);
          assertEquals(j, lf.getInteger("j"));
          long votes = 0;
          long overlaps = 0;
          long conflicts = 0;
          boolean positive = false;
          boolean negative = false;
          for (int r = 0; r < ROWS; r++) {
            int mine = labels[j][r];
            if (mine < 0) {
              continue;
            }
            votes++;
            positive |= mine == 1;
            negative |= mine == 0;
            boolean other = false;
            boolean differs = false;
            for (int o : about) {
              if (o != j && labels[o][r] >= 0) {
                other = true;
              }
            }
            // Snorkel: a row conflicts when its non-abstaining LFs (of this class) disagree.
            int first = -1;
            for (int o : about) {
              int v = labels[o][r];
              if (v >= 0) {
                if (first >= 0 && v != first) {
                  differs = true;
                }
                first = first < 0 ? v : first;
              }
            }
            overlaps += other ? 1 : 0;
            conflicts += differs ? 1 : 0;
          }
          String what = "class c" + c + " LF " + j;
          assertEquals((double) votes / ROWS, lf.getDouble("coverage"), 1e-9, what);
          assertEquals((double) overlaps / ROWS, lf.getDouble("overlaps"), 1e-9, what);
          assertEquals((double) conflicts / ROWS, lf.getDouble("conflicts"), 1e-9, what);
          JsonArray polarity = lf.getJsonArray("polarity");
          assertEquals((negative ? 1 : 0) + (positive ? 1 : 0), polarity.size(), what + " " + lf.encode());
        }
      }
      assertTrue(perClass.getJsonObject(0).getJsonArray("lfs").getJsonObject(0).getDouble("coverage") > 0,
          "the fixture votes at all");

      JsonObject model = FlightClients.action(client, "fit_label_model",
          new JsonObject().put("job", job).put("model", "generative").encode());
      try (var stream = client.getStream(new org.apache.arrow.flight.Ticket(
          ("probs/" + job + "/" + model.getString("model")).getBytes(java.nio.charset.StandardCharsets.UTF_8)))) {
        long rows = 0;
        while (stream.next()) {
          var root = stream.getRoot();
          assertEquals(1 + CLASSES, root.getFieldVectors().size(), root.getSchema().toString());
          for (int c = 0; c < CLASSES; c++) {
            var p = (org.apache.arrow.vector.Float4Vector) root.getVector("c" + c);
            for (int r = 0; r < root.getRowCount(); r++) {
              assertTrue(p.get(r) >= 0 && p.get(r) <= 1, "P(c" + c + ") of row " + (rows + r) + " = " + p.get(r));
            }
          }
          rows += root.getRowCount();
        }
        assertEquals(ROWS, rows);
      }
    }
  }
}
