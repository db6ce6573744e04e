package dev.labelflight.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.testing.ReferenceLabels;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.Text;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** A job's result streams (dense and sparse labels, a label model's probabilities and predictions) through a real server. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResultsFlightTest {
  static final int ROWS = 5_000;
  static final String LFS = """
      [{"name":"kw","kind":"keyword","column":"text","keywords":["great","excellent"],"label":"POS"},
       {"name":"re","kind":"regex","column":"text","pattern":"free|refund","label":"NEG"},
       {"name":"low","kind":"numeric","column":"stars","op":"<","value":3,"label":"NEG"}]
      """;
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
    FlightNode.uploadReviews(alice, allocator, "reviews", 9, ROWS);
    job = FlightNode.action(alice, "apply", "{\"dataset\":\"reviews\",\"labels\":[\"NEG\",\"POS\"],\"lfs\":" + LFS + "}")
        .getString("job");
  }

  @AfterAll
  void stop() throws Exception {
    alice.close();
    allocator.close();
    node.close();
  }

  /** The dense label stream as {@code [lf][row]}, checking that rows come in order. */
  private byte[][] dense() throws Exception {
    byte[][] labels = new byte[3][ROWS];
    int seen = 0;
    try (FlightStream stream = alice.getStream(ticket("labels/" + job))) {
      VectorSchemaRoot root = stream.getRoot();
      assertEquals(List.of("row_id", "kw", "re", "low"), root.getSchema().getFields().stream().map(f -> f.getName()).toList());
      while (stream.next()) {
        for (int i = 0; i < root.getRowCount(); i++) {
          assertEquals(seen + i, ((BigIntVector) root.getVector(0)).get(i));
          for (int lf = 0; lf < 3; lf++) {
            labels[lf][seen + i] = ((TinyIntVector) root.getVector(lf + 1)).get(i);
          }
        }
        seen += root.getRowCount();
      }
    }
    assertEquals(ROWS, seen);
    return labels;
  }

  /** Verifies that the dense stream matches an independent computation on every row and the sparse stream holds exactly its votes. */
  @Test
  void denseAndSparseLabels() throws Exception {
    byte[][] labels = dense();
    JsonNode lfs = new ObjectMapper().readTree(LFS);
    int votes = 0;
    try (VectorSchemaRoot rows = new ReviewsGenerator(9).batch(0, ROWS, allocator)) {
      for (int lf = 0; lf < 3; lf++) {
        FieldVector column = rows.getVector(lfs.get(lf).get("column").asText());
        for (int row = 0; row < ROWS; row++) {
          Object value = column.getObject(row);
          int expected = ReferenceLabels.label(lfs.get(lf), value instanceof Text t ? t.toString() : value, List.of("NEG", "POS"));
          assertEquals(expected, labels[lf][row], "LF " + lf + " row " + row);
          votes += expected >= 0 ? 1 : 0;
        }
      }
    }
    byte[][] fromSparse = new byte[3][ROWS];
    for (byte[] column : fromSparse) {
      java.util.Arrays.fill(column, (byte) -1);
    }
    int sparseVotes = 0;
    try (FlightStream stream = alice.getStream(ticket("labels/" + job + "?layout=sparse"))) {
      while (stream.next()) {
        VectorSchemaRoot root = stream.getRoot();
        for (int i = 0; i < root.getRowCount(); i++) {
          int row = (int) ((BigIntVector) root.getVector("row_id")).get(i);
          fromSparse[((IntVector) root.getVector("lf_index")).get(i)][row] = ((TinyIntVector) root.getVector("label")).get(i);
        }
        sparseVotes += root.getRowCount();
      }
    }
    assertEquals(votes, sparseVotes);
    for (int lf = 0; lf < 3; lf++) {
      assertTrue(java.util.Arrays.equals(labels[lf], fromSparse[lf]), "sparse votes of LF " + lf);
    }
  }

  /** Verifies that GetFlightInfo ["labels", JOB] describes the dense stream: its schema, rows and ticket. */
  @Test
  void labelStreamInfo() throws Exception {
    FlightInfo info = alice.getInfo(FlightDescriptor.path("labels", job));
    assertEquals(ROWS, info.getRecords());
    assertEquals(List.of("row_id", "kw", "re", "low"), info.getSchema().getFields().stream().map(f -> f.getName()).toList());
    assertEquals("labels/" + job, new String(info.getEndpoints().get(0).getTicket().getBytes(), StandardCharsets.UTF_8));
  }

  /** Verifies that a fitted model's probabilities sum to one per row and its predictions take the likeliest class. */
  @Test
  void modelOutputs() throws Exception {
    String model = FlightNode.action(alice, "fit_label_model", "{\"job\":\"" + job + "\",\"model\":\"majority\"}")
        .getString("model");
    float[][] probs = new float[2][ROWS];
    int rows = 0;
    try (FlightStream stream = alice.getStream(ticket("probs/" + job + "/" + model))) {
      assertEquals(List.of("row_id", "NEG", "POS"), stream.getSchema().getFields().stream().map(f -> f.getName()).toList());
      while (stream.next()) {
        VectorSchemaRoot root = stream.getRoot();
        for (int i = 0; i < root.getRowCount(); i++, rows++) {
          probs[0][rows] = ((Float4Vector) root.getVector(1)).get(i);
          probs[1][rows] = ((Float4Vector) root.getVector(2)).get(i);
          assertEquals(1.0, probs[0][rows] + probs[1][rows], 1e-5);
        }
      }
    }
    assertEquals(ROWS, rows);
    rows = 0;
    try (FlightStream stream = alice.getStream(ticket("preds/" + job + "/" + model))) {
      while (stream.next()) {
        VectorSchemaRoot root = stream.getRoot();
        for (int i = 0; i < root.getRowCount(); i++, rows++) {
          int label = ((TinyIntVector) root.getVector("label")).get(i);
          if (probs[0][rows] != probs[1][rows]) {
            assertEquals(probs[1][rows] > probs[0][rows] ? 1 : 0, label, "row " + rows);
          }
        }
      }
    }
    assertEquals(ROWS, rows);
  }

  /** Verifies that bad tickets are INVALID_ARGUMENT and a job or model that does not exist is NOT_FOUND. */
  @Test
  void badTickets() {
    assertStreamFails(FlightStatusCode.INVALID_ARGUMENT, "?layout=dense or ?layout=sparse", "labels/" + job + "?layout=wide");
    assertStreamFails(FlightStatusCode.NOT_FOUND, "not found", "labels/0000");
    assertStreamFails(FlightStatusCode.INVALID_ARGUMENT, "unknown ticket", "votes/" + job);
    assertStreamFails(FlightStatusCode.INVALID_ARGUMENT, "probs/JOB/MODEL", "probs/" + job);
    assertStreamFails(FlightStatusCode.NOT_FOUND, "model", "preds/" + job + "/nosuch");
  }

  private void assertStreamFails(FlightStatusCode code, String fragment, String ticket) {
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, () -> {
      try (FlightStream stream = alice.getStream(ticket(ticket))) {
        while (stream.next()) {
          // drained
        }
      }
    });
    assertEquals(code, e.status().code(), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention " + fragment);
  }

  static Ticket ticket(String text) {
    return new Ticket(text.getBytes(StandardCharsets.UTF_8));
  }
}
