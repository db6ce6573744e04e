package dev.labelflight.engine.lf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.model.ModelRegistry;
import dev.labelflight.engine.testing.ReferenceLabels;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LfKindsTest {
  static final LabelSpace LABELS = new LabelSpace(List.of("HAM", "SPAM", "MAYBE"));
  static final String SPAM_CENTER = Arrays.toString(ReviewsGenerator.SPAM_CENTER);
  static final String HAM_CENTER = Arrays.toString(ReviewsGenerator.HAM_CENTER);

  static final String LFS = """
      [{"name":"src","kind":"categorical","column":"source","values":["forum","sms"],"label":"SPAM"},
       {"name":"src_none","kind":"categorical","column":"source","values":["fax","été"],"label":"SPAM"},
       {"name":"stars_low","kind":"categorical","column":"stars","values":[1,2],"label":"SPAM"},
       {"name":"id_set","kind":"categorical","column":"id","values":[3,5,8,13,21,34,55,89,144,233,377,610,987],"label":"HAM"},
       {"name":"long_low","kind":"expression","expr":"size(text) > 150 && stars < 2","label":"SPAM"},
       {"name":"free_or_cheap","kind":"expression","expr":"text.contains('free') || price < 20","label":"SPAM"},
       {"name":"by_stars","kind":"expression","expr":"stars >= 4 ? 0 : (stars <= 1 ? 1 : -1)"},
       {"name":"src_in","kind":"expression","expr":"source in ['sms', 'email'] && !text.startsWith('the')","label":"SPAM"},
       {"name":"url","kind":"expression","expr":"text.matches('https?://') || text.endsWith('!')","label":"SPAM"},
       {"name":"arith","kind":"expression","expr":"price * 2.0 - 1.5 > 300.0 && id % 7 == 3","label":"HAM"},
       {"name":"per_len","kind":"expression","expr":"length / stars > 20 ? 2 : -1"},
       {"name":"fallback_exists","kind":"expression","expr":"[1, 2].exists(x, x == stars)","label":"HAM"},
       {"name":"fallback_vec","kind":"expression","expr":"emb[2] > 1.0","label":"SPAM"},
       {"name":"fallback_str","kind":"expression","expr":"string(stars) == '5'","label":"HAM"},
       {"name":"near_spam","kind":"similarity","column":"emb","query":SPAM_CENTER,"threshold":0.7,"label":"SPAM"},
       {"name":"near_ham","kind":"similarity","column":"emb","examples":[HAM_CENTER,[1,0,0,0,0,0,0,0]],"threshold":0.5,"label":"HAM"},
       {"name":"emb_model","kind":"model","column":"emb","model":"emb_spam.onnx","class":1,"threshold":0.8,"label":"SPAM"},
       {"name":"text_model","kind":"model","column":"text","model":"text_spam.onnx","class":1,"threshold":0.5,"label":"SPAM"},
       {"name":"text_model_ham","kind":"model","column":"text","model":"text_spam.onnx","class":0,"threshold":0.9,"output":"probabilities","label":"HAM"}]
      """.replace("SPAM_CENTER", SPAM_CENTER).replace("HAM_CENTER", HAM_CENTER);

  RootAllocator allocator;
  ModelRegistry models;

  static Path modelsDir() {
    try {
      return Path.of(LfKindsTest.class.getResource("/models/emb_spam.onnx").toURI()).getParent();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @BeforeEach
  void setUp() {
    allocator = TestAllocators.root();
    models = new ModelRegistry(modelsDir());
  }

  @AfterEach
  void tearDown() {
    models.close();
    allocator.close();
  }

  /** Verifies that every categorical, expression, similarity and model LF agrees with the naive reference. */
  @Test
  void newKindsMatchReferenceOnGeneratedRows() throws Exception {
    List<LfSpec> specs = LfCompilerTest.specs(LFS);
    CompiledLfSet set = new LfCompiler(LfLimits.DEFAULT, models).compile(specs, LABELS, ReviewsGenerator.SCHEMA);
    try (VectorSchemaRoot chunk = new ReviewsGenerator(5).batch(0, 2000, allocator)) {
      byte[][] labels = set.evaluate(chunk);
      int[] votes = new int[specs.size()];
      for (int row = 0; row < chunk.getRowCount(); row++) {
        Map<String, Object> values = ReferenceLabels.row(chunk, row);
        for (int lf = 0; lf < specs.size(); lf++) {
          JsonNode json = specs.get(lf).json();
          if (json.get("kind").asText().equals("model") && values.get(json.get("column").asText()) != null
              && Math.abs(ReferenceLabels.modelScore(modelsDir().resolve(json.get("model").asText()),
                  values.get(json.get("column").asText()), json.get("class").asInt())
                  - json.get("threshold").asDouble()) < 1e-4) {
            continue; // float32 inference against a double reference: too close to the threshold to call
          }
          int expected = ReferenceLabels.label(json, values, LABELS.names(), modelsDir());
          assertEquals(expected, labels[lf][row], "LF " + specs.get(lf).name() + " row " + row + ": " + values);
          votes[lf] += expected >= 0 ? 1 : 0;
        }
      }
      for (int lf = 0; lf < specs.size(); lf++) {
        if (!specs.get(lf).name().equals("src_none")) {
          assertTrue(votes[lf] > 0 && votes[lf] < 2000, "LF " + specs.get(lf).name() + " should vote on some rows: " + votes[lf]);
        }
      }
    }
    assertEquals(2, models.loaded(), "each model file is loaded once and shared");
  }

  /** Verifies that a categorical LF reads a dictionary-encoded column through its dictionary. */
  @Test
  void categoricalReadsDictionaryEncodedColumns() throws Exception {
    String[] rows = {"web", "sms", null, "forum", "sms", "app", "été"};
    Schema plainSchema = new Schema(List.of(new Field("source", FieldType.nullable(new ArrowType.Utf8()), null)));
    try (VarCharVector dictValues = new VarCharVector("dict", allocator);
         VectorSchemaRoot plain = VectorSchemaRoot.create(plainSchema, allocator)) {
      String[] entries = {"app", "forum", "sms", "web", "été"};
      dictValues.allocateNew();
      for (int i = 0; i < entries.length; i++) {
        dictValues.setSafe(i, entries[i].getBytes(StandardCharsets.UTF_8));
      }
      dictValues.setValueCount(entries.length);
      Dictionary dictionary = new Dictionary(dictValues, new DictionaryEncoding(7L, false, new ArrowType.Int(32, true)));
      VarCharVector source = (VarCharVector) plain.getVector("source");
      source.allocateNew();
      for (int i = 0; i < rows.length; i++) {
        if (rows[i] == null) {
          source.setNull(i);
        } else {
          source.setSafe(i, rows[i].getBytes(StandardCharsets.UTF_8));
        }
      }
      plain.setRowCount(rows.length);
      try (IntVector encoded = (IntVector) DictionaryEncoder.encode(source, dictionary)) {
        Field encodedField = new Field("source",
            new FieldType(true, new ArrowType.Utf8(), dictionary.getEncoding()), null);
        Schema schema = new Schema(List.of(encodedField));
        List<LfSpec> specs = LfCompilerTest.specs("""
            [{"name":"src","kind":"categorical","column":"source","values":["sms","été"],"label":"SPAM"}]""");
        CompiledLfSet set = new LfCompiler(LfLimits.DEFAULT).compile(specs, LABELS, schema);
        IntVector column = new IntVector(encodedField, allocator);
        encoded.makeTransferPair(column).transfer();
        try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(column))) {
          byte[][] labels = set.evaluate(root, new DictionaryProvider.MapDictionaryProvider(dictionary));
          assertEquals(List.of(-1, 1, -1, -1, 1, -1, 1), toList(labels[0]));
          assertEquals(toList(labels[0]), toList(set.evaluate(plain)[0]), "same labels as the plain column");
          assertThrows(IllegalStateException.class, () -> set.evaluate(root), "no dictionary given");
        }
      }
    }
  }

  private static List<Integer> toList(byte[] labels) {
    return java.util.stream.IntStream.range(0, labels.length).mapToObj(i -> (int) labels[i]).toList();
  }

  /** Verifies that each bad LF of the new kinds is refused with INVALID_ARGUMENT naming the LF and the problem. */
  @Test
  void rejectsBadNewLfsWithClearMessages() throws Exception {
    String[][] cases = {
        {"{'name':'x','kind':'categorical','column':'source','values':[],'label':'HAM'}", "'values'"},
        {"{'name':'x','kind':'categorical','column':'source','values':[1],'label':'HAM'}", "must hold strings"},
        {"{'name':'x','kind':'categorical','column':'stars','values':['a'],'label':'HAM'}", "must hold integers"},
        {"{'name':'x','kind':'categorical','column':'price','values':[1],'label':'HAM'}", "not text or integer"},
        {"{'name':'x','kind':'expression','expr':'stars <','label':'HAM'}", "invalid CEL"},
        {"{'name':'x','kind':'expression','expr':'frobnicate(stars)','label':'HAM'}", "frobnicate"},
        {"{'name':'x','kind':'expression','expr':'nope > 1','label':'HAM'}", "nope"},
        {"{'name':'x','kind':'expression','expr':'stars + 1','label':'HAM'}", "must return bool"},
        {"{'name':'x','kind':'expression','expr':'stars > 1'}", "must return int"},
        {"{'name':'x','kind':'expression','expr':'text','label':'HAM'}", "must return bool"},
        {"{'name':'x','kind':'expression','expr':'','label':'HAM'}", "'expr' is empty"},
        {"{'name':'x','kind':'expression','expr':'size(" + "[".repeat(40) + "]".repeat(40) + ") > 0','label':'HAM'}", "nests"},
        {"{'name':'x','kind':'expression','expr':'" + "1 + ".repeat(30) + "1 > 0','label':'HAM'}", "longer than"},
        {"{'name':'x','kind':'similarity','column':'emb','query':[1,2],'threshold':0.5,'label':'HAM'}", "has length 2; column vectors have length 8"},
        {"{'name':'x','kind':'similarity','column':'emb','examples':[[1,0,0,0,0,0,0,0],[1]],'threshold':0.5,'label':'HAM'}", "'examples[1]' has length 1"},
        {"{'name':'x','kind':'similarity','column':'text','query':[1],'threshold':0.5,'label':'HAM'}", "not fixed_size_list<float32>"},
        {"{'name':'x','kind':'similarity','column':'emb','threshold':0.5,'label':'HAM'}", "exactly one of 'query'"},
        {"{'name':'x','kind':'similarity','column':'emb','query':[1,0,0,0,0,0,0,0],'threshold':2,'label':'HAM'}", "[-1, 1]"},
        {"{'name':'x','kind':'model','column':'emb','model':'missing.onnx','class':1,'threshold':0.5,'label':'HAM'}", "'missing.onnx' not found"},
        {"{'name':'x','kind':'model','column':'emb','model':'../secret.onnx','class':1,'threshold':0.5,'label':'HAM'}", "outside the models directory"},
        {"{'name':'x','kind':'model','column':'emb','model':'make_models.py','class':1,'threshold':0.5,'label':'HAM'}", "cannot be loaded"},
        {"{'name':'x','kind':'model','column':'text','model':'emb_spam.onnx','class':1,'threshold':0.5,'label':'HAM'}", "needs a string input"},
        {"{'name':'x','kind':'model','column':'emb','model':'text_spam.onnx','class':1,'threshold':0.5,'label':'HAM'}", "needs a float input"},
        {"{'name':'x','kind':'model','column':'emb','model':'emb_spam.onnx','class':5,'threshold':0.5,'label':'HAM'}", "out of range"},
        {"{'name':'x','kind':'model','column':'emb','model':'emb_spam.onnx','class':1,'threshold':0.5,'output':'label','label':'HAM'}", "no float [N, classes] output named 'label'"},
        {"{'name':'x','kind':'model','column':'stars','model':'emb_spam.onnx','class':1,'threshold':0.5,'label':'HAM'}", "not text or fixed_size_list"},
    };
    LfCompiler compiler = new LfCompiler(new LfLimits(10, 50, 10, 100, 32, 1000, 100, 1000), models);
    for (String[] c : cases) {
      String json = "[" + c[0].replace('\'', '"') + "]";
      LabelFlightException e = assertThrows(LabelFlightException.class,
          () -> compiler.compile(LfCompilerTest.specs(json), LABELS, ReviewsGenerator.SCHEMA), json);
      assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains(c[1]), e.getMessage() + " should mention " + c[1]);
      assertTrue(e.getMessage().contains("LF 'x'"), e.getMessage());
    }
    LabelFlightException noModels = assertThrows(LabelFlightException.class, () -> new LfCompiler(LfLimits.DEFAULT)
        .compile(LfCompilerTest.specs("[{\"name\":\"m\",\"kind\":\"model\",\"column\":\"emb\",\"model\":\"emb_spam.onnx\","
            + "\"class\":1,\"threshold\":0.5,\"label\":\"HAM\"}]"), LABELS, ReviewsGenerator.SCHEMA));
    assertTrue(noModels.getMessage().contains("LF 'm'") && noModels.getMessage().contains("not enabled"));
  }

  /** Verifies that an int-valued expression returning something other than a class or -1 fails its LF. */
  @Test
  void expressionOutsideTheClassesFailsItsLf() throws Exception {
    CompiledLfSet set = new LfCompiler(LfLimits.DEFAULT).compile(LfCompilerTest.specs(
        "[{\"name\":\"bad_class\",\"kind\":\"expression\",\"expr\":\"stars\"}]"), LABELS, ReviewsGenerator.SCHEMA);
    try (VectorSchemaRoot chunk = new ReviewsGenerator(5).batch(0, 100, allocator)) {
      LabelFlightException e = assertThrows(LabelFlightException.class, () -> set.evaluate(chunk));
      assertTrue(e.getMessage().contains("LF 'bad_class'") && e.getMessage().contains("neither a class index"), e.getMessage());
    }
  }
}
