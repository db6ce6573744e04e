package dev.labelflight.engine.lf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.testing.ReferenceLabels;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LfCompilerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final LabelSpace LABELS = new LabelSpace(List.of("HAM", "SPAM"));
  RootAllocator allocator;

  @BeforeEach
  void setUp() {
    allocator = TestAllocators.root();
  }

  @AfterEach
  void tearDown() {
    allocator.close();
  }

  static List<LfSpec> specs(String json) throws Exception {
    JsonNode array = JSON.readTree(json);
    List<LfSpec> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      out.add(LfSpec.parse(array.get(i), i));
    }
    return out;
  }

  static final String MIXED = """
      [{"name":"kw_free","kind":"keyword","column":"text","keywords":["free money","winner","click here"],"label":"SPAM"},
       {"name":"kw_Happy","kind":"keyword","column":"text","keywords":["Happy"],"caseSensitive":true,"label":"HAM"},
       {"name":"kw_word","kind":"keyword","column":"text","keywords":["use","it"],"wholeWord":true,"label":"HAM"},
       {"name":"kw_money","kind":"keyword","column":"text","keywords":["money","free"],"label":"SPAM"},
       {"name":"re_url","kind":"regex","column":"text","pattern":"https?://","label":"SPAM"},
       {"name":"re_ci","kind":"regex","column":"text","pattern":"excellent|great","caseSensitive":false,"label":"HAM"},
       {"name":"re_full","kind":"regex","column":"text","pattern":"[A-Za-z ]+!","match":"full","label":"HAM"},
       {"name":"re_ml","kind":"regex","column":"text","pattern":"^the|again.$","multiline":true,"dotAll":true,"label":"HAM"},
       {"name":"short","kind":"numeric","column":"length","op":"<","value":60,"label":"HAM"},
       {"name":"stars_mid","kind":"numeric","column":"stars","op":"between","min":2,"max":4,"label":"HAM"},
       {"name":"stars_not3","kind":"numeric","column":"stars","op":"!=","value":3,"label":"SPAM"},
       {"name":"cheap","kind":"numeric","column":"price","op":"<=","value":20.5,"label":"SPAM"},
       {"name":"id_gt","kind":"numeric","column":"id","op":">","value":1500.5,"label":"SPAM"}]
      """;

  /** Verifies that every compiled LF agrees with the row-at-a-time reference on every row. */
  @Test
  void matchesReferenceOnGeneratedRows() throws Exception {
    List<LfSpec> specs = specs(MIXED);
    CompiledLfSet set = new LfCompiler(LfLimits.DEFAULT).compile(specs, LABELS, ReviewsGenerator.SCHEMA);
    assertEquals(specs.stream().map(LfSpec::name).toList(), set.names());
    try (VectorSchemaRoot chunk = new ReviewsGenerator(3).batch(0, 3000, allocator)) {
      byte[][] labels = set.evaluate(chunk);
      int votes = 0;
      for (int lf = 0; lf < specs.size(); lf++) {
        JsonNode json = specs.get(lf).json();
        FieldVector column = chunk.getVector(json.get("column").asText());
        for (int row = 0; row < chunk.getRowCount(); row++) {
          Object value = column.getObject(row);
          if (value instanceof org.apache.arrow.vector.util.Text t) {
            value = t.toString();
          }
          int expected = ReferenceLabels.label(json, value, LABELS.names());
          assertEquals(expected, labels[lf][row], "LF " + specs.get(lf).name() + " row " + row + ": " + value);
          votes += expected >= 0 ? 1 : 0;
        }
      }
      assertTrue(votes > 3000, "fixture should make LFs vote often: " + votes);
    }
  }

  /** Verifies overlapping keywords, keywords that are suffixes of others, and whole-word boundaries. */
  @Test
  void ahoCorasickHandlesOverlapsAndBoundaries() throws Exception {
    Schema schema = new Schema(List.of(new Field("t", FieldType.nullable(new ArrowType.LargeUtf8()), null)));
    List<LfSpec> specs = specs("""
        [{"name":"a","kind":"keyword","column":"t","keywords":["she","he"],"label":"HAM"},
         {"name":"b","kind":"keyword","column":"t","keywords":["hers"],"label":"SPAM"},
         {"name":"c","kind":"keyword","column":"t","keywords":["cat"],"wholeWord":true,"label":"SPAM"},
         {"name":"d","kind":"keyword","column":"t","keywords":["ÉTÉ","über"],"label":"SPAM"}]""");
    String[] rows = {"ushers", "the cat sat", "concatenate", "cat", "CAT!", "xx_cat", "été", "ÉTÉ über", "", null, "HE"};
    int[][] expected = {
        {0, 1, -1, -1}, {0, -1, 1, -1}, {-1, -1, -1, -1}, {-1, -1, 1, -1}, {-1, -1, 1, -1}, {-1, -1, -1, -1},
        {-1, -1, -1, 1}, {0 /* ÉTÉ has no 'he' */ - 1, -1, -1, 1}, {-1, -1, -1, -1}, {-1, -1, -1, -1}, {0, -1, -1, -1}};
    // "été": lower-cased keyword "été" matches; "ÉTÉ über": "über" matches.
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
      LargeVarCharVector t = (LargeVarCharVector) root.getVector("t");
      t.allocateNew();
      for (int i = 0; i < rows.length; i++) {
        if (rows[i] == null) {
          t.setNull(i);
        } else {
          t.setSafe(i, rows[i].getBytes(StandardCharsets.UTF_8));
        }
      }
      root.setRowCount(rows.length);
      byte[][] labels = new LfCompiler(LfLimits.DEFAULT).compile(specs, LABELS, schema).evaluate(root);
      for (int r = 0; r < rows.length; r++) {
        for (int lf = 0; lf < 4; lf++) {
          assertEquals(expected[r][lf], labels[lf][r], "row '" + rows[r] + "' LF " + specs.get(lf).name());
        }
      }
    }
  }

  /** Verifies that keyword LFs on one column are fused into a single evaluator, whatever their number. */
  @Test
  void fusesKeywordLfsPerColumn() throws Exception {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < 500; i++) {
      sb.append(i == 0 ? "" : ",").append("{\"name\":\"k").append(i)
          .append("\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"w").append(i).append("\"],\"label\":\"HAM\"}");
    }
    sb.append("]");
    CompiledLfSet set = new LfCompiler(LfLimits.DEFAULT).compile(specs(sb.toString()), LABELS, ReviewsGenerator.SCHEMA);
    assertEquals(500, set.size());
    java.lang.reflect.Field f;
    try {
      f = CompiledLfSet.class.getDeclaredField("evaluators");
      f.setAccessible(true);
      assertEquals(1, ((List<?>) f.get(set)).size());
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  /** Verifies that each bad LF is refused with INVALID_ARGUMENT naming the LF and the problem. */
  @Test
  void rejectsBadLfsWithClearMessages() throws Exception {
    String[][] cases = {
        {"{\"name\":\"x\",\"kind\":\"keyword\",\"column\":\"nope\",\"keywords\":[\"a\"],\"label\":\"HAM\"}", "unknown column 'nope'"},
        {"{\"name\":\"x\",\"kind\":\"keyword\",\"column\":\"stars\",\"keywords\":[\"a\"],\"label\":\"HAM\"}", "not text"},
        {"{\"name\":\"x\",\"kind\":\"numeric\",\"column\":\"text\",\"op\":\"<\",\"value\":1,\"label\":\"HAM\"}", "not a number"},
        {"{\"name\":\"x\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"(unclosed\",\"label\":\"HAM\"}", "invalid regex"},
        {"{\"name\":\"x\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"(?<=look)behind\",\"label\":\"HAM\"}", "invalid regex"},
        {"{\"name\":\"x\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[],\"label\":\"HAM\"}", "'keywords'"},
        {"{\"name\":\"x\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"a\"],\"label\":\"MAYBE\"}", "label 'MAYBE'"},
        {"{\"name\":\"x\",\"kind\":\"magic\",\"column\":\"text\",\"label\":\"HAM\"}", "unknown kind 'magic'"},
        {"{\"name\":\"x\",\"kind\":\"numeric\",\"column\":\"stars\",\"op\":\"~\",\"value\":1,\"label\":\"HAM\"}", "unknown op"},
        {"{\"name\":\"x\",\"kind\":\"numeric\",\"column\":\"stars\",\"op\":\"<\",\"value\":\"1\",\"label\":\"HAM\"}", "'value' must be a number"},
        {"{\"name\":\"x\",\"kind\":\"numeric\",\"column\":\"stars\",\"op\":\"between\",\"min\":5,\"max\":1,\"label\":\"HAM\"}", "'min' is greater"},
    };
    LfCompiler compiler = new LfCompiler(new LfLimits(10, 50, 10));
    for (String[] c : cases) {
      LabelFlightException e = assertThrows(LabelFlightException.class,
          () -> compiler.compile(specs("[" + c[0] + "]"), LABELS, ReviewsGenerator.SCHEMA), c[0]);
      assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind());
      assertTrue(e.getMessage().contains(c[1]), e.getMessage() + " should mention " + c[1]);
      assertTrue(e.getMessage().contains("LF 'x'"), e.getMessage());
    }
    LabelFlightException tooLong = assertThrows(LabelFlightException.class, () -> compiler.compile(
        specs("[{\"name\":\"x\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"" + "a".repeat(51) + "\",\"label\":\"HAM\"}]"),
        LABELS, ReviewsGenerator.SCHEMA));
    assertTrue(tooLong.getMessage().contains("longer than 50"));
    assertThrows(LabelFlightException.class, () -> compiler.compile(specs(
        "[{\"name\":\"x\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"a\",\"label\":\"HAM\"},"
            + "{\"name\":\"x\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"b\",\"label\":\"HAM\"}]"),
        LABELS, ReviewsGenerator.SCHEMA));
  }

  /** Verifies that a regex that backtracks catastrophically elsewhere finishes at once under RE2J. */
  @Test
  void redosPatternRunsInLinearTime() throws Exception {
    Schema schema = new Schema(List.of(new Field("t", FieldType.nullable(new ArrowType.Utf8()), null)));
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
      VarCharVector t = (VarCharVector) root.getVector("t");
      t.allocateNew();
      for (int i = 0; i < 20; i++) {
        t.setSafe(i, ("a".repeat(50_000) + "!").getBytes(StandardCharsets.US_ASCII));
      }
      root.setRowCount(20);
      CompiledLfSet set = new LfCompiler(LfLimits.DEFAULT).compile(
          specs("[{\"name\":\"redos\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"(a+)+$\",\"label\":\"HAM\"}]"),
          LABELS, schema);
      byte[][] labels = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
          java.time.Duration.ofSeconds(20), () -> set.evaluate(root));
      for (int i = 0; i < 20; i++) {
        assertEquals(-1, labels[0][i]);
      }
    }
  }
}
