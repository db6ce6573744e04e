package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.demo.ReviewsGenerator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** int16 labels, multi-label jobs and the sparse label layout through the real Flight server. */
class ScaleApplyFlightTest {
  static final int ROWS = 5000;
  @TempDir Path dir;

  /** One keyword LF per generator word, the i-th voting class {@code classOf(i)} (and vote sign, if given). */
  static String lfs(java.util.function.IntFunction<String> classOf, java.util.function.IntFunction<String> voteOf) {
    JsonArray out = new JsonArray();
    List<String> words = ReviewsGenerator.WORDS;
    for (int i = 0; i < words.size(); i++) {
      JsonObject lf = new JsonObject().put("name", "kw_" + i).put("kind", "keyword").put("column", "text")
          .put("keywords", new JsonArray().add(words.get(i))).put("label", classOf.apply(i));
      if (voteOf != null) {
        lf.put("vote", voteOf.apply(i));
      }
      out.add(lf);
    }
    return out.encode();
  }

  static JsonArray classes(int n) {
    JsonArray out = new JsonArray();
    for (int i = 0; i < n; i++) {
      out.add("c" + i);
    }
    return out;
  }

  /** The stream of a ticket as row -> LF -> label; checks the label columns' bit width. */
  static Map<Long, Map<Integer, Integer>> dense(FlightClient client, String job, int bits) throws Exception {
    Map<Long, Map<Integer, Integer>> out = new HashMap<>();
    try (FlightStream stream = client.getStream(new Ticket(("labels/" + job).getBytes(StandardCharsets.UTF_8)))) {
      VectorSchemaRoot root = stream.getRoot();
      assertEquals(bits, ((ArrowType.Int) root.getSchema().getFields().get(1).getType()).getBitWidth());
      while (stream.next()) {
        BaseIntVector rowId = (BaseIntVector) root.getVector(0);
        for (int lf = 0; lf + 1 < root.getFieldVectors().size(); lf++) {
          BaseIntVector column = (BaseIntVector) root.getVector(lf + 1);
          for (int i = 0; i < root.getRowCount(); i++) {
            int v = (int) column.getValueAsLong(i);
            if (v != -1) {
              out.computeIfAbsent(rowId.getValueAsLong(i), r -> new HashMap<>()).put(lf, v);
            }
          }
        }
      }
    }
    return out;
  }

  static Map<Long, Map<Integer, Integer>> sparse(FlightClient client, String job, int bits) throws Exception {
    Map<Long, Map<Integer, Integer>> out = new HashMap<>();
    try (FlightStream stream = client.getStream(
        new Ticket(("labels/" + job + "?layout=sparse").getBytes(StandardCharsets.UTF_8)))) {
      VectorSchemaRoot root = stream.getRoot();
      assertEquals(List.of("row_id", "lf_index", "label"),
          root.getSchema().getFields().stream().map(f -> f.getName()).toList());
      assertEquals(bits, ((ArrowType.Int) root.getSchema().getFields().get(2).getType()).getBitWidth());
      while (stream.next()) {
        for (int i = 0; i < root.getRowCount(); i++) {
          long row = ((BaseIntVector) root.getVector(0)).getValueAsLong(i);
          int lf = (int) ((BaseIntVector) root.getVector(1)).getValueAsLong(i);
          int label = (int) ((BaseIntVector) root.getVector(2)).getValueAsLong(i);
          assertTrue(label >= 0, "the sparse layout holds votes only");
          assertEquals(null, out.computeIfAbsent(row, r -> new HashMap<>()).put(lf, label));
        }
      }
    }
    return out;
  }

  /**
   * Verifies that a 300-class job streams int16 columns (dense schema, FlightInfo and sparse alike) with
   * class indexes above 127, that a multi-label job reports multiLabel and each LF's class and streams
   * 1/0 votes, that the sparse layout holds exactly the dense votes for both, and that a bad layout or too
   * many classes come back as INVALID_ARGUMENT.
   */
  @Test
  void wideAndMultiLabelJobsStreamDenseAndSparseAlike() throws Exception {
    try (TestServer server = new TestServer(dir, 2000);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "r", 21, ROWS);
      String wideLfs = lfs(i -> "c" + (i * 53 + 120) % 300, null);
      String wide = FlightClients.action(client, "apply",
          "{\"dataset\":\"r\",\"labels\":" + classes(300).encode() + ",\"lfs\":" + wideLfs + "}").getString("job");
      assertEquals("SUCCEEDED", FlightClients.awaitEnd(client, wide, 60_000).getString("state"));
      assertEquals(16, ((ArrowType.Int) client.getInfo(FlightDescriptor.path("labels", wide)).getSchema()
          .getFields().get(1).getType()).getBitWidth());
      Map<Long, Map<Integer, Integer>> wideDense = dense(client, wide, 16);
      assertTrue(wideDense.values().stream().flatMap(m -> m.values().stream()).anyMatch(v -> v > 127));
      wideDense.values().forEach(m -> m.forEach((lf, v) -> assertEquals((lf * 53 + 120) % 300, v)));
      assertEquals(wideDense, sparse(client, wide, 16));

      String multiLfs = lfs(i -> "c" + i % 4, i -> i % 3 == 0 ? "negative" : "positive");
      String multi = FlightClients.action(client, "apply", "{\"dataset\":\"r\",\"multiLabel\":true,\"labels\":"
          + classes(4).encode() + ",\"lfs\":" + multiLfs + "}").getString("job");
      JsonObject status = FlightClients.awaitEnd(client, multi, 60_000);
      assertEquals(true, status.getBoolean("multiLabel"));
      List<Integer> lfClasses = new ArrayList<>();
      for (int i = 0; i < ReviewsGenerator.WORDS.size(); i++) {
        lfClasses.add(i % 4);
      }
      assertEquals(new JsonArray(lfClasses), status.getJsonArray("lfClasses"));
      Map<Long, Map<Integer, Integer>> multiDense = dense(client, multi, 8);
      multiDense.values().forEach(m -> m.forEach((lf, v) -> assertEquals(lf % 3 == 0 ? 0 : 1, v)));
      assertEquals(multiDense, sparse(client, multi, 8));

      var bad = assertThrows(FlightRuntimeException.class, () -> sparse(client, multi + "?layout=diagonal", 8));
      assertEquals(FlightStatusCode.INVALID_ARGUMENT, bad.status().code());
      bad = assertThrows(FlightRuntimeException.class, () -> FlightClients.action(client, "apply",
          "{\"dataset\":\"r\",\"labels\":" + classes(1001).encode() + ",\"lfs\":" + wideLfs + "}"));
      assertEquals(FlightStatusCode.INVALID_ARGUMENT, bad.status().code());
      assertTrue(bad.getMessage().contains("at most 1000"), bad.getMessage());
    }
  }
}
