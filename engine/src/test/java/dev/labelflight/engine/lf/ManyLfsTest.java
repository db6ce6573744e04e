package dev.labelflight.engine.lf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Thousands of LFs on one column: fused keyword and shared-prefilter regex evaluation against each LF alone. */
class ManyLfsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final LabelSpace CLASSES = new LabelSpace(List.of("A", "B", "C"));
  static final LfLimits LIMITS = LfLimits.DEFAULT;

  /** Verifies that 2,000 keyword LFs on one column, fused into one automaton, label as each does alone. */
  @Test
  void twoThousandKeywordLfsLabelAsEachAlone() {
    SplittableRandom random = new SplittableRandom(11);
    List<String> words = ReviewsGenerator.WORDS;
    List<LfSpec> specs = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      ObjectNode lf = JSON.createObjectNode().put("name", "k" + i).put("kind", "keyword").put("column", "text")
          .put("label", CLASSES.names().get(i % 3))
          .put("caseSensitive", random.nextInt(4) == 0).put("wholeWord", random.nextInt(3) == 0);
      var keywords = lf.putArray("keywords");
      for (int k = 1 + random.nextInt(3); k > 0; k--) {
        keywords.add(random.nextBoolean() ? words.get(random.nextInt(words.size()))
            : words.get(random.nextInt(words.size())) + " " + words.get(random.nextInt(words.size())));
      }
      specs.add(LfSpec.parse(lf, i));
    }
    try (RootAllocator allocator = TestAllocators.root();
         VectorSchemaRoot chunk = new ReviewsGenerator(5).batch(0, 1500, allocator)) {
      assertSameAsAlone(specs, chunk, ReviewsGenerator.SCHEMA);
    }
  }

  /**
   * Verifies that 300 regex LFs on one column sharing one literal prefilter scan (case-sensitive and not,
   * full and partial matches, patterns without usable literals, non-ASCII rows that only Unicode case
   * folding matches) label as each does alone.
   */
  @Test
  void threeHundredRegexLfsSharingOnePrefilterLabelAsEachAlone() {
    String[] pieces = {"ab", "Ab", "cd", "ké", "K", "ſt", "xy", " ", "st", "é", "-", "12"};
    String[] literals = {"ab", "cd", "st", "xy", "12", "ké"};
    SplittableRandom random = new SplittableRandom(3);
    List<LfSpec> specs = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      String a = literals[random.nextInt(literals.length)];
      String b = literals[random.nextInt(literals.length)];
      String pattern = switch (i % 5) {
        case 0 -> a + "\\s*" + b;
        case 1 -> "(" + a + "|" + b + ")[a-z]";
        case 2 -> "[a-d]+" + (i % 2 == 0 ? "" : "x"); // no required literal: runs on every row
        case 3 -> a + ".*";
        default -> "k" + "[a-z]*" + b;
      };
      ObjectNode lf = JSON.createObjectNode().put("name", "r" + i).put("kind", "regex").put("column", "t")
          .put("pattern", pattern).put("caseSensitive", random.nextBoolean())
          .put("match", random.nextInt(4) == 0 ? "full" : "anywhere").put("label", CLASSES.names().get(i % 3));
      specs.add(LfSpec.parse(lf, i));
    }
    Schema schema = new Schema(List.of(new Field("t", FieldType.nullable(new ArrowType.Utf8()), null)));
    try (RootAllocator allocator = TestAllocators.root();
         VectorSchemaRoot chunk = VectorSchemaRoot.create(schema, allocator)) {
      VarCharVector t = (VarCharVector) chunk.getVector(0);
      t.allocateNew();
      int rows = 2000;
      for (int row = 0; row < rows; row++) {
        if (row % 97 == 0) {
          t.setNull(row);
          continue;
        }
        StringBuilder s = new StringBuilder();
        for (int n = random.nextInt(8); n >= 0; n--) {
          s.append(pieces[random.nextInt(pieces.length)]);
        }
        t.setSafe(row, s.toString().getBytes(StandardCharsets.UTF_8));
      }
      t.setValueCount(rows);
      chunk.setRowCount(rows);
      assertSameAsAlone(specs, chunk, schema);
    }
  }

  private static void assertSameAsAlone(List<LfSpec> specs, VectorSchemaRoot chunk, Schema schema) {
    LfCompiler compiler = new LfCompiler(LIMITS);
    byte[][] together = compiler.compile(specs, CLASSES, schema).evaluate(chunk);
    assertEquals(specs.size(), together.length);
    long votes = 0;
    for (int lf = 0; lf < specs.size(); lf++) {
      byte[] alone = compiler.compile(List.of(specs.get(lf)), CLASSES, schema).evaluate(chunk)[0];
      assertArrayEquals(alone, together[lf], specs.get(lf).json().toString());
      for (byte b : alone) {
        votes += b >= 0 ? 1 : 0;
      }
    }
    assertTrue(votes > chunk.getRowCount(), "the fixture must make LFs vote: " + votes);
  }
}
