package dev.labelflight.engine.lf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.lf.model.ModelRegistry;
import dev.labelflight.engine.testing.TestAllocators;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;

/**
 * Every evaluator checks the cancel token of its thread while it works, not only between evaluators: with
 * an already cancelled token bound, each evaluator alone stops with the token's CancelledException before
 * it has labelled its chunk (a chunk larger than the evaluators' check interval).
 */
class EvaluatorCancelChecksTest {
  static final String SPAM_CENTER = Arrays.toString(ReviewsGenerator.SPAM_CENTER);

  static String lfs() {
    List<String> lfs = new ArrayList<>(List.of(
        "{\"name\":\"re\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"https?://[a-z.]+\",\"label\":\"SPAM\"}",
        "{\"name\":\"num\",\"kind\":\"numeric\",\"column\":\"stars\",\"op\":\"between\",\"min\":2,\"max\":4,\"label\":\"HAM\"}",
        "{\"name\":\"cat\",\"kind\":\"categorical\",\"column\":\"source\",\"values\":[\"forum\",\"sms\"],\"label\":\"SPAM\"}",
        "{\"name\":\"col\",\"kind\":\"expression\",\"expr\":\"size(text) > 150 && stars < 2\",\"label\":\"SPAM\"}",
        "{\"name\":\"cel\",\"kind\":\"expression\",\"expr\":\"[1, 2].exists(x, x == stars)\",\"label\":\"SPAM\"}",
        "{\"name\":\"sim\",\"kind\":\"similarity\",\"column\":\"emb\",\"query\":" + SPAM_CENTER
            + ",\"threshold\":0.7,\"label\":\"SPAM\"}",
        "{\"name\":\"mod\",\"kind\":\"model\",\"column\":\"emb\",\"model\":\"emb_spam.onnx\",\"class\":1,"
            + "\"threshold\":0.8,\"label\":\"SPAM\"}"));
    // A big keyword set: 500 keyword LFs fused into one automaton.
    List<String> words = ReviewsGenerator.WORDS;
    for (int i = 0; i < 500; i++) {
      lfs.add("{\"name\":\"kw" + i + "\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\""
          + words.get(i % words.size()) + " " + words.get((i * 7 + 3) % words.size()) + "\"],\"label\":\"HAM\"}");
    }
    return "[" + String.join(",", lfs) + "]";
  }

  /** Verifies that each evaluator, run alone under a cancelled token, throws the token's CancelledException. */
  @Test
  void everyEvaluatorObservesItsCancelledToken() throws Exception {
    try (RootAllocator allocator = TestAllocators.root(); ModelRegistry models = new ModelRegistry(LfKindsTest.modelsDir());
         VectorSchemaRoot chunk = new ReviewsGenerator(5).batch(0, 5_000, allocator)) {
      CompiledLfSet set = new LfCompiler(LfLimits.DEFAULT, models)
          .compile(LfCompilerTest.specs(lfs()), LfCompilerTest.LABELS, ReviewsGenerator.SCHEMA);
      CancelToken token = CancelToken.create();
      token.cancel(CancelToken.Reason.CANCELLED, "stop");
      List<String> kinds = new ArrayList<>();
      for (LfEvaluator evaluator : set.evaluators()) {
        byte[][] labels = new byte[set.size()][chunk.getRowCount()];
        CancelToken.CancelledException e = assertThrows(CancelToken.CancelledException.class,
            () -> token.within(() -> {
              evaluator.evaluate(chunk, null, labels);
              return null;
            }), evaluator.getClass().getSimpleName() + " labelled its chunk under a cancelled token");
        assertEquals("stop", e.getMessage());
        kinds.add(evaluator.getClass().getSimpleName());
      }
      assertEquals(8, kinds.size(), kinds.toString());
    }
  }
}
