package dev.labelflight.engine.lf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Detail;
import dev.labelflight.engine.lf.model.ModelRegistry;
import dev.labelflight.engine.testing.OnnxModels;
import dev.labelflight.engine.testing.TestAllocators;
import dev.labelflight.engine.testing.TextChunks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model LFs over text: any valid UTF-8 reaches the model, and a row the model fails on follows faultTolerant. */
class ModelLfTest {
  @TempDir Path dir;

  static String modelLf(String name, String model, int classIndex, boolean tolerant) {
    return "[{\"name\":\"" + name + "\",\"kind\":\"model\",\"column\":\"t\",\"model\":\"" + model + "\",\"class\":"
        + classIndex + ",\"threshold\":0.5,\"label\":\"SPAM\"" + (tolerant ? ",\"faultTolerant\":true" : "") + "}]";
  }

  /**
   * Verifies that rows with emoji and other characters beyond the Basic Multilingual Plane (and NUL) are
   * scored instead of failing the job (ONNX Runtime's tokenizer refused the modified UTF-8 that its Java
   * binding made of them), each as the same text with those characters as non-word separators.
   */
  @Test
  void textModelScoresRowsWithEmoji() throws Exception {
    String[] rows = {"free money 😀", "😀😀 click here winner", "great battery life 👍", "terrible 🤬 broken screen",
        "congratulations you won 🎉 free gift card", "the product works great", "café free gift card 𝟲𝟬",
        "\u0000 free money", null, "日本語 free money"};
    String[] plain = Stream.of(rows).map(r -> r == null ? null
        : r.codePoints().map(c -> Character.isSupplementaryCodePoint(c) || c == 0 ? ' ' : c)
            .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString())
        .toArray(String[]::new);
    try (RootAllocator allocator = TestAllocators.root(); ModelRegistry models = new ModelRegistry(LfKindsTest.modelsDir());
         VectorSchemaRoot withEmoji = TextChunks.of(allocator, rows);
         VectorSchemaRoot without = TextChunks.of(allocator, plain)) {
      CompiledLfSet set = new LfCompiler(LfLimits.DEFAULT, models).compile(
          LfCompilerTest.specs(modelLf("clf", "text_spam.onnx", 1, false)), LfCompilerTest.LABELS, TextChunks.SCHEMA);
      byte[] expected = set.evaluate(without)[0];
      assertArrayEquals(expected, set.evaluate(withEmoji)[0]);
      assertTrue(expected[0] == 1 && expected[5] == -1 && expected[8] == -1,
          "spam text votes, ham text and null rows abstain: " + java.util.Arrays.toString(expected));
    }
  }

  /**
   * Verifies that a row the model fails on (a Cast of text to float, on text that is not a number) fails a
   * strict LF with INVALID_ARGUMENT naming the LF and the row (details LF, kind, row; no row text), and that
   * a fault-tolerant LF abstains on exactly that row, counts it as a fault and scores the others.
   */
  @Test
  void rowTheModelFailsOnFollowsFaultTolerant() throws Exception {
    OnnxModels.parseNumber(dir.resolve("parse_number.onnx"));
    String[] rows = {"0.9", "private words", "0.1", "0.7", null, "1e9", "-3"};
    try (RootAllocator allocator = TestAllocators.root(); ModelRegistry models = new ModelRegistry(dir);
         VectorSchemaRoot chunk = TextChunks.of(allocator, rows)) {
      LfCompiler compiler = new LfCompiler(LfLimits.DEFAULT, models);
      CompiledLfSet strict = compiler.compile(LfCompilerTest.specs(modelLf("num", "parse_number.onnx", 0, false)),
          LfCompilerTest.LABELS, TextChunks.SCHEMA);
      LfRowException e = assertThrows(LfRowException.class, () -> strict.evaluate(chunk));
      assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind(), e.getMessage());
      assertTrue(e.getMessage().startsWith("LF 'num' (model) failed on chunk row 1: "), e.getMessage());
      assertFalse(e.getMessage().contains("private"), e.getMessage());
      assertEquals("num", e.details().get(Detail.LF));
      assertEquals("model", e.details().get(Detail.LF_KIND));
      assertEquals(1L, ((Number) e.details().get(Detail.ROW)).longValue());

      CompiledLfSet tolerant = compiler.compile(LfCompilerTest.specs(modelLf("num", "parse_number.onnx", 0, true)),
          LfCompilerTest.LABELS, TextChunks.SCHEMA);
      assertArrayEquals(new byte[] {1, LabelSpace.FAULT, -1, 1, -1, 1, -1}, tolerant.evaluate(chunk)[0]);
    }
    assertTrue(Files.exists(dir.resolve("parse_number.onnx")));
  }
}
