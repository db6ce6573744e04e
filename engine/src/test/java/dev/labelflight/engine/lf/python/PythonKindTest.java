package dev.labelflight.engine.lf.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.cache.LfFingerprint;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.CompiledLfSet;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import java.util.Base64;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Verifies the engine side of the python kind: spec checks, the cache key, and a compiler without a pool. */
class PythonKindTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Schema SCHEMA = new Schema(List.of(Field.nullable("text", ArrowType.Utf8.INSTANCE)));
  private static final LabelSpace LABELS = new LabelSpace(List.of("HAM", "SPAM"));

  private static ObjectNode spec(String pickle) {
    ObjectNode o = JSON.createObjectNode();
    o.put("name", "lf_free").put("kind", "python")
        .put("pickle", Base64.getEncoder().encodeToString(pickle.getBytes()))
        .put("fingerprint", "ab".repeat(32)).put("python", "3.11").put("mode", "row");
    o.putObject("imports").put("textblob", "0.20.1");
    return o;
  }

  /** Verifies that the label cache keys a python LF by its fingerprint, not by its (unstable) pickle bytes. */
  @Test
  void cacheKeyIgnoresPickleBytes() {
    String a = LfFingerprint.of(LfSpec.parse(spec("pickle one"), 0), LABELS);
    String b = LfFingerprint.of(LfSpec.parse(spec("pickle two"), 0), LABELS);
    assertEquals(a, b);
    ObjectNode edited = spec("pickle one");
    edited.put("fingerprint", "cd".repeat(32));
    assertNotEquals(a, LfFingerprint.of(LfSpec.parse(edited, 0), LABELS));
  }

  /** Verifies that bad python specs fail with INVALID_ARGUMENT naming the LF and field. */
  @Test
  void badSpecsNameTheField() {
    ObjectNode noFingerprint = spec("x");
    noFingerprint.remove("fingerprint");
    ObjectNode withLabel = spec("x");
    withLabel.put("label", "SPAM");
    ObjectNode badMode = spec("x");
    badMode.put("mode", "vector");
    ObjectNode badPickle = spec("x");
    badPickle.put("pickle", "not base64!");
    for (var bad : List.of(noFingerprint, withLabel, badMode, badPickle)) {
      var e = assertThrows(LabelFlightException.class,
          () -> new LfCompiler(LfLimits.DEFAULT).compile(List.of(LfSpec.parse(bad, 0)), LABELS, SCHEMA));
      assertTrue(e.getMessage().startsWith("LF 'lf_free' (python): "), e.getMessage());
    }
  }

  /** Verifies that without a worker pool a python LF compiles (requests are checked) and fails clearly when run. */
  @Test
  void withoutPoolEvaluationFailsClearly() {
    CompiledLfSet set = new LfCompiler(LfLimits.DEFAULT).compile(List.of(LfSpec.parse(spec("x"), 0)), LABELS, SCHEMA);
    try (RootAllocator allocator = new RootAllocator(); VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
      var e = assertThrows(LabelFlightException.class, () -> set.evaluate(root));
      assertTrue(e.getMessage().contains("Python LFs are not enabled on this node"), e.getMessage());
    }
  }
}
