package dev.labelflight.engine.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cel.common.CelOptions;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FloatingPointVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A deliberately naive, row-at-a-time implementation of every LF kind over plain Java values
 * (String.contains, java.util.regex, double comparisons, HashSet lookups, the CEL interpreter with a Map
 * activation, cosine in double, logistic regression by hand or one-row ONNX runs), used to check the
 * engine's columnar evaluators independently.
 */
public final class ReferenceLabels {
  private ReferenceLabels() {}

  /** The label (class index) the LF gives a row, or -1. {@code value} is a String, Number or null. */
  public static int label(JsonNode lf, Object value, java.util.List<String> labels) {
    int label = labels.indexOf(lf.get("label").asText());
    if (value == null) {
      return -1;
    }
    switch (lf.get("kind").asText()) {
      case "keyword": {
        boolean caseSensitive = lf.path("caseSensitive").asBoolean(false);
        boolean wholeWord = lf.path("wholeWord").asBoolean(false);
        String text = caseSensitive ? (String) value : ((String) value).toLowerCase(Locale.ROOT);
        for (JsonNode k : lf.get("keywords")) {
          String kw = caseSensitive ? k.asText() : k.asText().toLowerCase(Locale.ROOT);
          if (wholeWord) {
            if (Pattern.compile("(?<![A-Za-z0-9_])" + Pattern.quote(kw) + "(?![A-Za-z0-9_])").matcher(text).find()) {
              return label;
            }
          } else if (text.contains(kw)) {
            return label;
          }
        }
        return -1;
      }
      case "regex": {
        int flags = (lf.path("caseSensitive").asBoolean(true) ? 0 : Pattern.CASE_INSENSITIVE)
            | (lf.path("dotAll").asBoolean(false) ? Pattern.DOTALL : 0)
            | (lf.path("multiline").asBoolean(false) ? Pattern.MULTILINE : 0);
        var m = Pattern.compile(lf.get("pattern").asText(), flags).matcher((String) value);
        boolean full = lf.path("match").asText("anywhere").equals("full");
        return (full ? m.matches() : m.find()) ? label : -1;
      }
      case "numeric": {
        double x = ((Number) value).doubleValue();
        if (Double.isNaN(x)) {
          return -1;
        }
        String op = lf.get("op").asText();
        double t = lf.path("value").asDouble();
        boolean hit = switch (op) {
          case "<" -> x < t;
          case "<=" -> x <= t;
          case ">" -> x > t;
          case ">=" -> x >= t;
          case "==" -> x == t;
          case "!=" -> x != t;
          case "between" -> x >= lf.get("min").asDouble() && x <= lf.get("max").asDouble();
          default -> throw new IllegalArgumentException(op);
        };
        return hit ? label : -1;
      }
      default:
        throw new IllegalArgumentException("no reference for " + lf);
    }
  }

  /** One row as plain Java values: String, Long, Double, Boolean, float[] (vectors) or null. */
  public static Map<String, Object> row(VectorSchemaRoot chunk, int row) {
    Map<String, Object> out = new HashMap<>();
    for (FieldVector v : chunk.getFieldVectors()) {
      Object value = null;
      if (!v.isNull(row)) {
        if (v instanceof BaseIntVector i) {
          value = i.getValueAsLong(row);
        } else if (v instanceof FloatingPointVector f) {
          value = f.getValueAsDouble(row);
        } else if (v instanceof BitVector b) {
          value = b.get(row) != 0;
        } else if (v instanceof FixedSizeListVector l) {
          List<?> items = l.getObject(row);
          float[] floats = new float[items.size()];
          for (int k = 0; k < floats.length; k++) {
            floats[k] = ((Number) items.get(k)).floatValue();
          }
          value = floats;
        } else {
          value = v.getObject(row).toString();
        }
      }
      out.put(v.getName(), value);
    }
    return out;
  }

  /**
   * The label an LF of any kind gives a row ({@link #row}); {@code modelsDir} holds model LFs' files.
   * Expressions are evaluated by the CEL interpreter with a Map activation, compiled afresh per call.
   */
  public static int label(JsonNode lf, Map<String, Object> row, List<String> labels, Path modelsDir) {
    String kind = lf.get("kind").asText();
    switch (kind) {
      case "expression":
        return expression(lf, row, labels);
      case "categorical": {
        Object value = row.get(lf.get("column").asText());
        if (value == null) {
          return -1;
        }
        Set<String> set = new HashSet<>();
        lf.get("values").forEach(v -> set.add(v.asText()));
        return set.contains(value.toString()) ? labels.indexOf(lf.get("label").asText()) : -1;
      }
      case "similarity": {
        float[] x = (float[]) row.get(lf.get("column").asText());
        if (x == null) {
          return -1;
        }
        double[] q = new double[x.length];
        if (lf.has("query")) {
          for (int i = 0; i < q.length; i++) {
            q[i] = (float) lf.get("query").get(i).asDouble();
          }
        } else {
          JsonNode examples = lf.get("examples");
          for (int i = 0; i < q.length; i++) {
            double sum = 0;
            for (JsonNode e : examples) {
              sum += (float) e.get(i).asDouble();
            }
            q[i] = (float) (sum / examples.size());
          }
        }
        double dot = 0;
        double xx = 0;
        double qq = 0;
        for (int i = 0; i < q.length; i++) {
          dot += x[i] * q[i];
          xx += (double) x[i] * x[i];
          qq += q[i] * q[i];
        }
        boolean hit = xx > 0 && qq > 0 && dot / (Math.sqrt(xx) * Math.sqrt(qq)) > lf.get("threshold").asDouble();
        return hit ? labels.indexOf(lf.get("label").asText()) : -1;
      }
      case "model": {
        Object value = row.get(lf.get("column").asText());
        if (value == null) {
          return -1;
        }
        double score = modelScore(modelsDir.resolve(lf.get("model").asText()), value, lf.get("class").asInt());
        return score > lf.get("threshold").asDouble() ? labels.indexOf(lf.get("label").asText()) : -1;
      }
      default:
        return label(lf, row.get(lf.get("column").asText()), labels);
    }
  }

  /** A model's score for one row: logistic regression by hand when a coefficient file sits beside it. */
  public static double modelScore(Path model, Object value, int classIndex) {
    Path coefficients = model.resolveSibling(model.getFileName().toString().replace(".onnx", ".json"));
    try {
      if (value instanceof float[] x && Files.exists(coefficients)) {
        JsonNode c = new ObjectMapper().readTree(coefficients.toFile());
        double z = c.get("intercept").asDouble();
        for (int i = 0; i < x.length; i++) {
          z += c.get("coef").get(i).asDouble() * x[i];
        }
        double p = 1 / (1 + Math.exp(-z));
        return classIndex == 1 ? p : 1 - p;
      }
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      OrtSession session = SESSIONS.computeIfAbsent(model, m -> {
        try {
          return env.createSession(m.toString(), new OrtSession.SessionOptions());
        } catch (OrtException e) {
          throw new IllegalStateException(e);
        }
      });
      try (OnnxTensor input = value instanceof float[] x
               ? OnnxTensor.createTensor(env, new float[][] {x})
               : OnnxTensor.createTensor(env, new String[] {(String) value}, new long[] {1, 1});
           OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(), input))) {
        for (var output : result) {
          if (output.getValue().getValue() instanceof float[][] scores) {
            return scores[0][classIndex];
          }
        }
        throw new IllegalStateException("no float scores from " + model);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int expression(JsonNode lf, Map<String, Object> row, List<String> labels) {
    CelCompilerBuilder compiler = CelCompilerFactory.standardCelCompilerBuilder().setOptions(CEL_OPTIONS)
        .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS);
    Map<String, Object> activation = new HashMap<>();
    for (Map.Entry<String, Object> e : row.entrySet()) {
      Object v = e.getValue();
      CelType type = v instanceof String ? SimpleType.STRING : v instanceof Long ? SimpleType.INT
          : v instanceof Double ? SimpleType.DOUBLE : v instanceof Boolean ? SimpleType.BOOL
          : v instanceof float[] ? ListType.create(SimpleType.DOUBLE) : null;
      if (type == null) {
        if (lf.get("expr").asText().contains(e.getKey())) {
          return -1; // a null column the expression may read: abstain
        }
        continue;
      }
      compiler.addVar(e.getKey(), type);
      if (v instanceof float[] f) {
        List<Double> list = new ArrayList<>();
        for (float x : f) {
          list.add((double) x);
        }
        v = list;
      }
      activation.put(e.getKey(), v);
    }
    try {
      String key = lf.get("expr").asText() + "|" + new java.util.TreeSet<>(activation.keySet());
      CelRuntime.Program program = PROGRAMS.get(key);
      if (program == null) {
        program = CelRuntimeFactory.standardCelRuntimeBuilder().setOptions(CEL_OPTIONS).build()
            .createProgram(compiler.build().compile(lf.get("expr").asText()).getAst());
        PROGRAMS.put(key, program);
      }
      Object result = program.eval(activation);
      if (lf.has("label")) {
        return Boolean.TRUE.equals(result) ? labels.indexOf(lf.get("label").asText()) : -1;
      }
      return (int) (long) (Long) result;
    } catch (CelEvaluationException e) {
      return -1;
    } catch (dev.cel.common.CelValidationException e) {
      throw new IllegalArgumentException(e);
    }
  }

  // Caches only: compiling per row would make the reference too slow to run over thousands of rows.
  private static final Map<String, CelRuntime.Program> PROGRAMS = new java.util.concurrent.ConcurrentHashMap<>();
  private static final Map<Path, OrtSession> SESSIONS = new java.util.concurrent.ConcurrentHashMap<>();

  /** CEL semantics the engine promises: partial regex matches, errors on int overflow, int-double comparisons. */
  private static final CelOptions CEL_OPTIONS = CelOptions.current()
      .enableHeterogeneousNumericComparisons(true).errorOnIntWrap(true).enableRegexPartialMatch(true).build();
}
