package dev.labelflight.perf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.lf.CompiledLfSet;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.lf.model.ModelRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * LF evaluation speed on one core: a generated reviews dataset (text of ~110 characters, numeric columns,
 * an 8-float embedding) in chunks of 65,536 rows, every chunk labelled by one compiled LF set per
 * invocation. The score is LF-row evaluations per second: rows x LFs in the set / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LfEvaluationBenchmark {
  static final int CHUNK_ROWS = 65_536;
  static final ObjectMapper JSON = new ObjectMapper();

  /** Which LF set to run; see {@link #lfs(String)}. */
  @Param({"keyword_fused10", "keyword1", "regex", "numeric", "numeric10", "categorical", "expression_columnar",
      "expression_interpreted", "similarity", "model_vector", "mixed10", "regex200", "keyword2000",
      "regex_url", "regex_caps", "regex_not", "regex3"})
  public String set;

  /** Rows in the dataset. */
  @Param("1000000")
  public int rows;

  private BufferAllocator allocator;
  private ModelRegistry models;
  private final List<VectorSchemaRoot> chunks = new ArrayList<>();
  private CompiledLfSet compiled;

  static String lfs(String set) {
    String spamCenter = Arrays.toString(ReviewsGenerator.SPAM_CENTER);
    return switch (set) {
      case "keyword_fused10" -> """
          [{"name":"k0","kind":"keyword","column":"text","keywords":["free money","winner","click here"],"label":"SPAM"},
           {"name":"k1","kind":"keyword","column":"text","keywords":["great","excellent","love"],"label":"HAM"},
           {"name":"k2","kind":"keyword","column":"text","keywords":["terrible","broken","return"],"label":"HAM"},
           {"name":"k3","kind":"keyword","column":"text","keywords":["act now","limited offer"],"label":"SPAM"},
           {"name":"k4","kind":"keyword","column":"text","keywords":["gift card","congratulations"],"label":"SPAM"},
           {"name":"k5","kind":"keyword","column":"text","keywords":["Happy"],"caseSensitive":true,"label":"HAM"},
           {"name":"k6","kind":"keyword","column":"text","keywords":["it","use"],"wholeWord":true,"label":"HAM"},
           {"name":"k7","kind":"keyword","column":"text","keywords":["battery","screen","sound"],"label":"HAM"},
           {"name":"k8","kind":"keyword","column":"text","keywords":["http","www."],"label":"SPAM"},
           {"name":"k9","kind":"keyword","column":"text","keywords":["shipping was slow","stopped working"],"label":"HAM"}]""";
      case "keyword1" -> """
          [{"name":"k0","kind":"keyword","column":"text","keywords":["free money","winner","click here"],"label":"SPAM"}]""";
      case "regex" -> """
          [{"name":"r","kind":"regex","column":"text","pattern":"https?://[a-z.]+","caseSensitive":false,"label":"SPAM"}]""";
      case "numeric" -> """
          [{"name":"n","kind":"numeric","column":"stars","op":"between","min":2,"max":4,"label":"HAM"}]""";
      case "numeric10" -> """
          [{"name":"n0","kind":"numeric","column":"stars","op":"between","min":2,"max":4,"label":"HAM"},
           {"name":"n1","kind":"numeric","column":"stars","op":"<","value":2,"label":"SPAM"},
           {"name":"n2","kind":"numeric","column":"length","op":"<","value":60,"label":"HAM"},
           {"name":"n3","kind":"numeric","column":"length","op":">=","value":150,"label":"SPAM"},
           {"name":"n4","kind":"numeric","column":"price","op":"<=","value":20.5,"label":"SPAM"},
           {"name":"n5","kind":"numeric","column":"price","op":">","value":400,"label":"HAM"},
           {"name":"n6","kind":"numeric","column":"id","op":">","value":500000,"label":"HAM"},
           {"name":"n7","kind":"numeric","column":"gold","op":"==","value":1,"label":"SPAM"},
           {"name":"n8","kind":"numeric","column":"stars","op":"!=","value":3,"label":"SPAM"},
           {"name":"n9","kind":"numeric","column":"price","op":"between","min":10,"max":30,"label":"HAM"}]""";
      case "categorical" -> """
          [{"name":"c","kind":"categorical","column":"source","values":["forum","sms"],"label":"SPAM"}]""";
      case "expression_columnar" -> """
          [{"name":"e","kind":"expression","expr":"size(text) > 150 && stars < 2 || price < 20.0","label":"SPAM"}]""";
      case "expression_interpreted" -> """
          [{"name":"e","kind":"expression","expr":"[1, 2].exists(x, x == stars) && string(stars) != '9'","label":"SPAM"}]""";
      case "similarity" -> """
          [{"name":"s","kind":"similarity","column":"emb","query":%s,"threshold":0.7,"label":"SPAM"}]""".formatted(spamCenter);
      case "model_vector" -> """
          [{"name":"m","kind":"model","column":"emb","model":"emb_spam.onnx","class":1,"threshold":0.8,"label":"SPAM"}]""";
      case "mixed10" -> """
          [{"name":"k0","kind":"keyword","column":"text","keywords":["free money","winner","click here"],"label":"SPAM"},
           {"name":"k1","kind":"keyword","column":"text","keywords":["great","excellent","love"],"label":"HAM"},
           {"name":"k2","kind":"keyword","column":"text","keywords":["terrible","broken"],"wholeWord":true,"label":"HAM"},
           {"name":"r0","kind":"regex","column":"text","pattern":"https?://","label":"SPAM"},
           {"name":"n0","kind":"numeric","column":"stars","op":"between","min":2,"max":4,"label":"HAM"},
           {"name":"n1","kind":"numeric","column":"price","op":"<=","value":20.5,"label":"SPAM"},
           {"name":"c0","kind":"categorical","column":"source","values":["forum","sms"],"label":"SPAM"},
           {"name":"e0","kind":"expression","expr":"size(text) > 150 && stars < 2","label":"SPAM"},
           {"name":"e1","kind":"expression","expr":"stars >= 4 ? 0 : -1"},
           {"name":"s0","kind":"similarity","column":"emb","query":%s,"threshold":0.7,"label":"SPAM"}]""".formatted(spamCenter);
      // The three regexes of perf/compare/bench.py (issue 8), alone and together.
      case "regex_url" -> """
          [{"name":"re_url","kind":"regex","column":"text","pattern":"https?://|www\\\\.","label":"SPAM"}]""";
      case "regex_caps" -> """
          [{"name":"re_caps","kind":"regex","column":"text","pattern":"\\\\b[A-Z]{4,}\\\\b","label":"SPAM"}]""";
      case "regex_not" -> """
          [{"name":"re_not","kind":"regex","column":"text","pattern":"\\\\bnot (good|recommend|working|worth)\\\\b","label":"HAM"}]""";
      case "regex3" -> "[" + String.join(",", List.of("regex_url", "regex_caps", "regex_not").stream()
          .map(s -> lfs(s).strip().replaceAll("^\\[|\\]$", "")).toList()) + "]";
      case "regex200" -> manyLfs(200, true);
      case "keyword2000" -> manyLfs(2000, false);
      default -> throw new IllegalArgumentException(set);
    };
  }

  /**
   * {@code count} generated LFs on {@code text} over pairs of the generator's words: regexes
   * {@code "a\\s+b"} (each needs literal "a" and "b"), or keyword LFs of three two-word phrases each.
   */
  static String manyLfs(int count, boolean regex) {
    String[] words = ReviewsGenerator.WORDS.toArray(String[]::new);
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < count; i++) {
      json.append(i == 0 ? "" : ",").append("{\"name\":\"lf").append(i).append("\",\"column\":\"text\",");
      String a = words[random.nextInt(words.length)];
      if (regex) {
        json.append("\"kind\":\"regex\",\"pattern\":\"").append(a).append("\\\\s+")
            .append(words[random.nextInt(words.length)]).append('"');
      } else {
        json.append("\"kind\":\"keyword\",\"keywords\":[");
        for (int k = 0; k < 3; k++) {
          json.append(k == 0 ? "" : ",").append('"').append(words[random.nextInt(words.length)]).append(' ')
              .append(words[random.nextInt(words.length)]).append('"');
        }
        json.append(']');
      }
      json.append(",\"label\":\"").append(i % 2 == 0 ? "HAM" : "SPAM").append("\"}");
    }
    return json.append(']').toString();
  }

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    allocator = new RootAllocator();
    models = new ModelRegistry(Path.of(System.getProperty("labelflight.models", "engine/src/test/resources/models")));
    ReviewsGenerator generator = new ReviewsGenerator(42);
    for (int first = 0; first < rows; first += CHUNK_ROWS) {
      chunks.add(generator.batch(first, Math.min(CHUNK_ROWS, rows - first), allocator));
    }
    JsonNode array = JSON.readTree(lfs(set));
    List<LfSpec> specs = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      specs.add(LfSpec.parse(array.get(i), i));
    }
    compiled = new LfCompiler(LfLimits.DEFAULT, models)
        .compile(specs, new LabelSpace(List.of("HAM", "SPAM")), ReviewsGenerator.SCHEMA);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    // In the JVM that ran the set (a JMH fork, or CpuTimeBenchmarks' own): peak RSS next to its bound.
    System.out.println(MemoryContract.thisJvm("set " + set + " (" + rows + " rows)").measure().summary());
    chunks.forEach(VectorSchemaRoot::close);
    chunks.clear();
    models.close();
    allocator.close();
  }

  /** Labels the whole dataset once: JMH's score is datasets/s; {@link EngineBenchmarks} turns it into LF-rows/s. */
  @Benchmark
  public void labelDataset(Blackhole sink) {
    for (VectorSchemaRoot chunk : chunks) {
      sink.consume(compiled.evaluate(chunk));
    }
  }

  /** The plain-Java peer of a keyword set: decode, lower-case, String.contains per keyword. */
  long naiveKeywords(List<List<String>> keywords) {
    long votes = 0;
    for (VectorSchemaRoot chunk : chunks) {
      org.apache.arrow.vector.VarCharVector text = (org.apache.arrow.vector.VarCharVector) chunk.getVector("text");
      byte[][] labels = new byte[keywords.size()][chunk.getRowCount()];
      for (int row = 0; row < chunk.getRowCount(); row++) {
        if (text.isNull(row)) {
          continue;
        }
        String value = new String(text.get(row), java.nio.charset.StandardCharsets.UTF_8).toLowerCase(java.util.Locale.ROOT);
        for (int lf = 0; lf < keywords.size(); lf++) {
          for (String k : keywords.get(lf)) {
            if (value.contains(k)) {
              labels[lf][row] = 1;
              break;
            }
          }
        }
      }
      votes += labels[0][0] + labels[labels.length - 1][labels[0].length - 1];
    }
    return votes;
  }

  /** One pass outside JMH (for {@link CpuTimeBenchmarks}); returns the votes so the work is not dropped. */
  long labelDatasetOnce() {
    long votes = 0;
    for (VectorSchemaRoot chunk : chunks) {
      for (byte[] lf : compiled.evaluate(chunk)) {
        votes += lf[0] + lf[lf.length - 1];
      }
    }
    return votes;
  }
}
