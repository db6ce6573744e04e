package dev.labelflight.engine.lf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.lf.model.ModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The LF kind registry: one source for what specs may say, described to clients, in step with the docs. */
class LfKindRegistryTest {

  /**
   * Verifies that the description lists every kind with its fields (the common ones first, then the kind's
   * own), types, requirements, defaults and constraints, and the node's limits; and that it is plain JSON.
   */
  @Test
  void describesEveryKindAndLimit() throws Exception {
    ObjectNode described = LfKind.describe(LfLimits.DEFAULT.withRegexLimits(1234, 56));
    String text = LfCompilerTest.JSON.writeValueAsString(described);
    assertEquals(text, LfCompilerTest.JSON.writeValueAsString(LfCompilerTest.JSON.readTree(text)), "plain JSON");
    List<String> kinds = new ArrayList<>();
    for (JsonNode kind : described.get("kinds")) {
      kinds.add(kind.get("kind").asText());
      List<String> fields = new ArrayList<>();
      kind.get("fields").forEach(f -> fields.add(f.get("name").asText()));
      // A Python function returns class indexes itself: it has no label.
      assertEquals(kind.get("kind").asText().equals("python") ? List.of("name", "kind", "vote", "faultTolerant")
          : List.of("name", "kind", "label", "vote", "faultTolerant"), fields.subList(0, kind.get("kind").asText()
          .equals("python") ? 4 : 5), kind.toString());
      assertEquals(fields.size(), new HashSet<>(fields).size(), "no field twice: " + fields);
      for (JsonNode f : kind.get("fields")) {
        assertTrue(f.has("type") && f.has("required") && f.has("doc"), f.toString());
      }
    }
    assertEquals(LfKind.ids(), kinds);
    assertEquals(List.of("keyword", "regex", "numeric", "categorical", "expression", "similarity", "model", "python"),
        kinds);
    JsonNode keyword = described.get("kinds").get(0);
    JsonNode column = field(keyword, "column");
    assertEquals("column", column.get("type").asText());
    assertEquals("text", column.get("columnTypes").get(0).asText());
    assertEquals(false, field(keyword, "caseSensitive").get("default").asBoolean(true));
    JsonNode numeric = described.get("kinds").get(2);
    assertEquals("between", field(numeric, "min").get("requiredWhen").get("in").get(0).asText());
    assertEquals("between", field(numeric, "value").get("requiredUnless").get("in").get(0).asText());
    assertEquals(7, field(numeric, "op").get("choices").size());
    assertFalse(field(described.get("kinds").get(4), "label").get("required").asBoolean(), "an expression may omit label");
    assertEquals("query", described.get("kinds").get(5).get("exactlyOneOf").get(0).get(0).asText());
    assertEquals(1234, described.get("limits").get("maxRegexProgramSize").asInt());
    assertEquals(56, described.get("limits").get("regexStepsPerByte").asInt());
  }

  static JsonNode field(JsonNode kind, String name) {
    for (JsonNode f : kind.get("fields")) {
      if (f.get("name").asText().equals(name)) {
        return f;
      }
    }
    throw new AssertionError(kind.get("kind") + " has no field " + name);
  }

  /**
   * Verifies that the example spec of every kind in docs/DESIGN.md compiles against the generated reviews
   * dataset, and that README's LF section names every field of every kind: the registry and the docs
   * describe the same LFs.
   */
  @Test
  void docsShowEveryKindAndField() throws Exception {
    Path root = Path.of("..").toAbsolutePath().normalize();
    String design = Files.readString(root.resolve("docs/DESIGN.md"));
    String readme = Files.readString(root.resolve("README.md"));
    String lfs = readme.substring(readme.indexOf("LF kinds."), readme.indexOf("**Words and case"));
    Set<String> examples = new HashSet<>();
    List<LfSpec> specs = new ArrayList<>();
    for (String line : design.split("\n")) {
      if (line.startsWith("{\"name\"")) {
        LfSpec spec = LfSpec.parse(LfCompilerTest.JSON.readTree(line), specs.size());
        specs.add(spec);
        examples.add(spec.kind().id());
      }
    }
    assertEquals(Set.copyOf(LfKind.ids()), examples, "docs/DESIGN.md shows one spec of every kind");
    try (ModelRegistry models = new ModelRegistry(LfKindsTest.modelsDir())) {
      // The examples' columns and model, as the generated dataset and the test models have them.
      List<LfSpec> adapted = new ArrayList<>();
      for (LfSpec spec : specs) {
        String json = spec.json().toString().replace("\"emb\",\"query\":[0.1,0.3]",
            "\"emb\",\"query\":[0.1,0.3,0,0,0,0,0,0]").replace("spam.onnx", "text_spam.onnx");
        adapted.add(LfSpec.parse(LfCompilerTest.JSON.readTree(json), adapted.size()));
      }
      new LfCompiler(LfLimits.DEFAULT, models).compile(adapted, new LabelSpace(List.of("HAM", "SPAM")),
          ReviewsGenerator.SCHEMA);
    }
    for (LfKind kind : LfKind.values()) {
      assertTrue(lfs.contains("`" + kind.id() + "`"), "README's LF section names kind " + kind.id());
      for (LfField field : kind.fields()) {
        assertTrue(lfs.contains("`" + field.name() + "`"), "README's LF section names " + kind.id() + "'s field "
            + field.name());
      }
    }
  }
}
