package dev.labelflight.engine.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.cache.LabelCache;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Detail;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfRowException;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.testing.TestAllocators;
import dev.labelflight.engine.testing.TextChunks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LF errors say which LF, which field and which dataset row failed, as INVALID_ARGUMENT with structured
 * details, and never carry the row's text.
 */
class LfErrorsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final LabelSpace LABELS = new LabelSpace(List.of("HAM", "SPAM"));
  /** Rows of chunks of 4; the private ones are where the LFs below fail. */
  static final String[] ROWS = {"1", "2", "private (text ✓ 3", "4", "5", "6", "private [text 7", "8"};

  @TempDir Path dir;
  RootAllocator allocator;
  DatasetStore store;
  Manifest manifest;
  ChunkLabeler labeler;

  @BeforeEach
  void setUp() {
    allocator = TestAllocators.root();
    store = new DatasetStore(dir, 4);
    try (DatasetUpload upload = store.beginUpload("d", TextChunks.SCHEMA, allocator);
         VectorSchemaRoot batch = TextChunks.of(allocator, ROWS)) {
      upload.append(batch);
      manifest = upload.commit();
    }
    labeler = new ChunkLabeler(store, new LabelCache(dir), new LfCompiler(LfLimits.DEFAULT));
  }

  @AfterEach
  void tearDown() {
    allocator.close();
  }

  static LfSpec expression(String name, String expr) throws Exception {
    return LfSpec.parse(JSON.readTree("{\"name\":\"" + name + "\",\"kind\":\"expression\",\"expr\":"
        + JSON.writeValueAsString(expr) + ",\"label\":\"SPAM\"}"), 0);
  }

  /**
   * Verifies that a CEL expression failing on a row (in the interpreter, whatever CEL's own message would
   * have quoted: the row's value as a number, a map key, a timestamp or a regex) fails with
   * INVALID_ARGUMENT naming the LF and the dataset row, with the details LF, LF kind and row, and without
   * the row's text; and so does a failure found by the columnar path (division by zero).
   */
  @Test
  void celRowFailureNamesLfAndDatasetRowWithoutRowText() throws Exception {
    Map<String, String> failing = Map.of(
        "as_int", "int(t) > 0",
        "as_key", "{'1': 1, '2': 2, '4': 4, '5': 5, '6': 6, '8': 8}[t] > 0",
        "as_time", "t == '1' || t == '2' || t == '4' || t == '5' || t == '6' || t == '8' || timestamp(t) > timestamp(0)",
        "as_regex", "t.size() > 3 && t.matches(t)");
    for (var lf : failing.entrySet()) {
      for (int chunk = 0; chunk < 2; chunk++) {
        int row = chunk == 0 ? 2 : 6;
        ChunkLabeler.JobLfs lfs = labeler.jobLfs(manifest, List.of(expression(lf.getKey(), lf.getValue())), LABELS);
        int c = chunk;
        LfRowException e = assertThrows(LfRowException.class, () -> labeler.label(manifest, c, lfs, allocator, null),
            lf.getKey());
        assertRowError(e, lf.getKey(), row);
      }
    }
    ChunkLabeler.JobLfs columnar = labeler.jobLfs(manifest, List.of(expression("div", "100 / (n - 6) > 1")), LABELS);
    LfRowException e = assertThrows(LfRowException.class, () -> labeler.label(manifest, 1, columnar, allocator, null));
    assertRowError(e, "div", 6);
    assertTrue(e.getMessage().contains("division by zero"), e.getMessage());
  }

  static void assertRowError(LabelFlightException e, String lf, long row) {
    assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind(), e.getMessage());
    assertTrue(e.getMessage().startsWith("LF '" + lf + "' (expression) failed on row " + row + ": "), e.getMessage());
    assertFalse(e.getMessage().contains("private"), "row text in the error: " + e.getMessage());
    assertFalse(e.getMessage().contains("✓"), "row text in the error: " + e.getMessage());
    assertEquals(lf, e.details().get(Detail.LF), e.details().toString());
    assertEquals("expression", e.details().get(Detail.LF_KIND), e.details().toString());
    assertEquals(row, ((Number) e.details().get(Detail.ROW)).longValue(), e.details().toString());
  }

  /**
   * Verifies that each kind of compile error (unknown column, column of the wrong type, invalid pattern,
   * missing or mistyped field, unknown label) is INVALID_ARGUMENT with the LF, its kind and the field at
   * fault in its details.
   */
  @Test
  void compileErrorsCarryLfKindAndField() throws Exception {
    String[][] cases = {
        {"{\"name\":\"a\",\"kind\":\"keyword\",\"column\":\"nope\",\"keywords\":[\"x\"],\"label\":\"HAM\"}", "keyword", "column"},
        {"{\"name\":\"b\",\"kind\":\"keyword\",\"column\":\"n\",\"keywords\":[\"x\"],\"label\":\"HAM\"}", "keyword", "column"},
        {"{\"name\":\"c\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"(\",\"label\":\"HAM\"}", "regex", "pattern"},
        {"{\"name\":\"d\",\"kind\":\"numeric\",\"column\":\"n\",\"op\":\"<\",\"label\":\"HAM\"}", "numeric", "value"},
        {"{\"name\":\"e\",\"kind\":\"numeric\",\"column\":\"n\",\"op\":\"~\",\"value\":1,\"label\":\"HAM\"}", "numeric", "op"},
        {"{\"name\":\"f\",\"kind\":\"keyword\",\"column\":\"t\",\"keywords\":\"x\",\"label\":\"HAM\"}", "keyword", "keywords"},
        {"{\"name\":\"g\",\"kind\":\"keyword\",\"column\":\"t\",\"keywords\":[\"x\"],\"label\":\"NOPE\"}", "keyword", "label"},
        {"{\"name\":\"h\",\"kind\":\"expression\",\"expr\":\"t +\",\"label\":\"HAM\"}", "expression", "expr"},
    };
    for (String[] c : cases) {
      LabelFlightException e = assertThrows(LabelFlightException.class,
          () -> new LfCompiler(LfLimits.DEFAULT).compile(List.of(LfSpec.parse(JSON.readTree(c[0]), 0)), LABELS,
              TextChunks.SCHEMA), c[0]);
      String name = JSON.readTree(c[0]).get("name").asText();
      assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind(), e.getMessage());
      assertTrue(e.getMessage().startsWith("LF '" + name + "' (" + c[1] + "): "), e.getMessage());
      assertEquals(name, e.details().get(Detail.LF), c[0] + " " + e.details());
      assertEquals(c[1], e.details().get(Detail.LF_KIND), c[0] + " " + e.details());
      assertEquals(c[2], e.details().get(Detail.FIELD), c[0] + " " + e.details());
    }
  }

  /**
   * Verifies that a field the LF's kind does not have (a typo such as {@code wholeword}, or a field of
   * another kind) is INVALID_ARGUMENT naming the field and the LF, where it used to be ignored.
   */
  @Test
  void unknownLfFieldsAreRefused() throws Exception {
    String[][] cases = {
        {"{\"name\":\"k\",\"kind\":\"keyword\",\"column\":\"t\",\"keywords\":[\"x\"],\"wholeword\":true,\"label\":\"HAM\"}", "wholeword"},
        {"{\"name\":\"r\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"x\",\"keywords\":[\"x\"],\"label\":\"HAM\"}", "keywords"},
        {"{\"name\":\"n\",\"kind\":\"numeric\",\"column\":\"n\",\"op\":\"<\",\"value\":1,\"treshold\":2,\"label\":\"HAM\"}", "treshold"},
    };
    List<String> seen = new ArrayList<>();
    for (String[] c : cases) {
      LabelFlightException e = assertThrows(LabelFlightException.class,
          () -> new LfCompiler(LfLimits.DEFAULT).compile(List.of(LfSpec.parse(JSON.readTree(c[0]), 0)), LABELS,
              TextChunks.SCHEMA), c[0]);
      String name = JSON.readTree(c[0]).get("name").asText();
      assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains("LF '" + name + "'") && e.getMessage().contains("'" + c[1] + "'"),
          e.getMessage());
      assertEquals(c[1], e.details().get(Detail.FIELD), e.details().toString());
      assertEquals(name, e.details().get(Detail.LF), e.details().toString());
      seen.add(e.getMessage());
    }
    assertEquals(cases.length, seen.size());
  }
}
