package dev.labelflight.engine.lf;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.ColumnTypes;
import dev.labelflight.engine.lf.expression.ExpressionCompiler;
import dev.labelflight.engine.lf.model.ModelRegistry;
import dev.labelflight.engine.lf.model.ModelScorer;
import dev.labelflight.engine.lf.python.PythonFunction;
import dev.labelflight.engine.lf.python.PythonLfs;

/**
 * Turns LF specs into evaluators for one dataset schema, checking every field first: an unknown kind or
 * column, a column of the wrong type, an invalid pattern or label fails with INVALID_ARGUMENT naming
 * the LF. Keyword LFs on the same column are fused into one {@link KeywordMatcher}, regex LFs on the same column
 * share one {@link RegexMatcher} (one literal prefilter scan). Kinds: keyword, regex,
 * numeric, categorical, expression (CEL), similarity (cosine) and model (ONNX).
 */
public final class LfCompiler {
  private final LfLimits limits;
  private final ModelRegistry models;
  private final PythonLfs python;

  /** A compiler without a models directory: model LFs are refused. */
  public LfCompiler(LfLimits limits) {
    this(limits, null);
  }

  /** {@code models} serves model LFs (null: model LFs are refused). */
  public LfCompiler(LfLimits limits, ModelRegistry models) {
    this(limits, models, null);
  }

  /** {@code python} runs python LFs (null: they compile, and fail when evaluated, naming the reason). */
  public LfCompiler(LfLimits limits, ModelRegistry models, PythonLfs python) {
    this.limits = limits;
    this.models = models;
    this.python = python;
  }

  /** The LF kinds this compiler knows. */
  public static final List<String> KINDS =
      List.of("keyword", "regex", "numeric", "categorical", "expression", "similarity", "model", "python");

  public CompiledLfSet compile(List<LfSpec> specs, LabelSpace labels, Schema schema) {
    if (specs.isEmpty()) {
      throw LabelFlightException.invalid("'lfs' is empty: give at least one LF");
    }
    if (specs.size() > limits.maxLfs()) {
      throw LabelFlightException.invalid("a job may carry at most " + limits.maxLfs() + " LFs; got " + specs.size());
    }
    if (labels.size() > limits.maxClasses()) {
      throw LabelFlightException.invalid("'labels' has " + labels.size() + " classes; at most " + limits.maxClasses());
    }
    Set<String> names = new HashSet<>();
    List<String> order = new ArrayList<>();
    List<LfEvaluator> evaluators = new ArrayList<>();
    Map<String, List<KeywordMatcher.Member>> keywordsByColumn = new LinkedHashMap<>();
    Map<String, List<RegexMatcher.Member>> regexesByColumn = new LinkedHashMap<>();
    List<PythonFunction> pythonFunctions = new ArrayList<>();
    for (int slot = 0; slot < specs.size(); slot++) {
      LfSpec spec = specs.get(slot);
      if (!names.add(spec.name())) {
        throw LabelFlightException.invalid("two LFs are named '" + spec.name() + "'");
      }
      order.add(spec.name());
      // Every kind accepts the flag; only expressions can fail on a single row (see LfRowException).
      spec.optionalBoolean("faultTolerant", false);
      // What the evaluator writes where the LF votes (ABSTAIN: an expression returning class indexes).
      byte label = labels.code(spec);
      switch (spec.kind()) {
        case "keyword" -> {
          String column = textColumn(spec, schema);
          List<String> keywords = spec.requiredStrings("keywords");
          if (keywords.size() > limits.maxKeywordsPerLf()) {
            throw spec.invalid("more than " + limits.maxKeywordsPerLf() + " keywords");
          }
          keywordsByColumn.computeIfAbsent(column, c -> new ArrayList<>()).add(new KeywordMatcher.Member(
              slot, label, keywords, spec.optionalBoolean("caseSensitive", false),
              spec.optionalBoolean("wholeWord", false)));
        }
        case "regex" -> regexesByColumn.computeIfAbsent(textColumn(spec, schema), c -> new ArrayList<>())
            .add(regex(spec, slot, label));
        case "numeric" -> evaluators.add(numeric(spec, slot, label, schema));
        case "categorical" -> evaluators.add(categorical(spec, slot, label, schema));
        case "expression" -> evaluators.add(new ExpressionCompiler(limits).compile(spec, slot, label, labels.size(), schema));
        case "similarity" -> evaluators.add(similarity(spec, slot, label, schema));
        case "model" -> evaluators.add(
            ModelScorer.compile(spec, slot, label, field(spec, schema, spec.requiredString("column")), models));
        case "python" -> pythonFunctions.add(PythonFunction.parse(spec, slot));
        default -> throw spec.invalid("unknown kind '" + spec.kind() + "' (known: " + String.join(", ", KINDS) + ")");
      }
    }
    keywordsByColumn.forEach((column, members) -> evaluators.add(0, new KeywordMatcher(column, members)));
    regexesByColumn.forEach((column, members) -> evaluators.add(new RegexMatcher(column, members)));
    if (!pythonFunctions.isEmpty()) {
      // All of a job's Python LFs in one evaluator: one round trip per chunk to one worker process.
      evaluators.add(python != null ? python.compile(pythonFunctions, labels) : PythonLfs.unavailable(pythonFunctions));
    }
    return new CompiledLfSet(order, evaluators);
  }

  private RegexMatcher.Member regex(LfSpec spec, int slot, byte label) {
    String pattern = spec.requiredString("pattern");
    if (pattern.isEmpty()) {
      throw spec.invalid("'pattern' is empty");
    }
    if (pattern.length() > limits.maxRegexLength()) {
      throw spec.invalid("pattern is longer than " + limits.maxRegexLength() + " characters");
    }
    String match = spec.optionalString("match", "anywhere");
    if (!match.equals("anywhere") && !match.equals("full")) {
      throw spec.invalid("'match' must be 'anywhere' or 'full'");
    }
    boolean caseInsensitive = !spec.optionalBoolean("caseSensitive", true);
    int flags = (caseInsensitive ? Pattern.CASE_INSENSITIVE : 0)
        | (spec.optionalBoolean("dotAll", false) ? Pattern.DOTALL : 0)
        | (spec.optionalBoolean("multiline", false) ? Pattern.MULTILINE : 0);
    try {
      return new RegexMatcher.Member(slot, label, Pattern.compile(pattern, flags), match.equals("full"), caseInsensitive);
    } catch (PatternSyntaxException e) {
      throw spec.invalid("invalid regex: " + e.getMessage());
    } catch (StackOverflowError e) {
      throw spec.invalid("regex is too deeply nested");
    }
  }

  private NumericThreshold numeric(LfSpec spec, int slot, byte label, Schema schema) {
    String column = spec.requiredString("column");
    Field field = field(spec, schema, column);
    if (!ColumnTypes.isNumber(field.getType())) {
      throw spec.invalid("column '" + column + "' has type " + field.getType() + ", not a number");
    }
    String op = spec.requiredString("op");
    if (!NumericThreshold.OPERATORS.contains(op)) {
      throw spec.invalid("unknown op '" + op + "' (known: " + String.join(", ", NumericThreshold.OPERATORS) + ")");
    }
    if (op.equals("between")) {
      double min = spec.requiredNumber("min");
      double max = spec.requiredNumber("max");
      if (min > max) {
        throw spec.invalid("'min' is greater than 'max'");
      }
      return new NumericThreshold(column, slot, label, op, 0, min, max);
    }
    return new NumericThreshold(column, slot, label, op, spec.requiredNumber("value"), 0, 0);
  }

  private CategoricalMatcher categorical(LfSpec spec, int slot, byte label, Schema schema) {
    String column = spec.requiredString("column");
    Field field = field(spec, schema, column);
    ArrowType type = field.getType();
    JsonNode values = spec.json().get("values");
    if (values == null || !values.isArray() || values.isEmpty()) {
      throw spec.invalid("'values' must be a non-empty list of strings or integers");
    }
    if (values.size() > limits.maxKeywordsPerLf()) {
      throw spec.invalid("more than " + limits.maxKeywordsPerLf() + " values");
    }
    if (ColumnTypes.isText(type)) {
      List<String> strings = new ArrayList<>(values.size());
      for (JsonNode v : values) {
        if (!v.isTextual()) {
          throw spec.invalid("'values' must hold strings for text column '" + column + "'; got " + v);
        }
        strings.add(v.asText());
      }
      return CategoricalMatcher.ofStrings(column, slot, label, strings);
    }
    if (type instanceof ArrowType.Int) {
      long[] ints = new long[values.size()];
      for (int i = 0; i < ints.length; i++) {
        JsonNode v = values.get(i);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
          throw spec.invalid("'values' must hold integers for int column '" + column + "'; got " + v);
        }
        ints[i] = v.asLong();
      }
      return CategoricalMatcher.ofInts(column, slot, label, ints);
    }
    throw spec.invalid("column '" + column + "' has type " + type + ", not text or integer");
  }

  private CosineSimilarity similarity(LfSpec spec, int slot, byte label, Schema schema) {
    String column = spec.requiredString("column");
    Field field = field(spec, schema, column);
    if (!ColumnTypes.isFloatVector(field)) {
      throw spec.invalid("column '" + column + "' has type " + field.getType() + ", not fixed_size_list<float32>");
    }
    int dimension = ((ArrowType.FixedSizeList) field.getType()).getListSize();
    double threshold = spec.requiredNumber("threshold");
    if (threshold < -1 || threshold > 1) {
      throw spec.invalid("'threshold' must be a cosine similarity in [-1, 1]");
    }
    boolean hasQuery = spec.json().has("query");
    if (hasQuery == spec.json().has("examples")) {
      throw spec.invalid("give exactly one of 'query' (a vector) or 'examples' (a list of vectors)");
    }
    float[] query;
    if (hasQuery) {
      query = vector(spec, "query", spec.json().get("query"), dimension);
    } else {
      JsonNode examples = spec.json().get("examples");
      if (!examples.isArray() || examples.isEmpty()) {
        throw spec.invalid("'examples' must be a non-empty list of vectors");
      }
      float[][] vectors = new float[examples.size()][];
      for (int i = 0; i < vectors.length; i++) {
        vectors[i] = vector(spec, "examples[" + i + "]", examples.get(i), dimension);
      }
      query = CosineSimilarity.mean(vectors);
    }
    return new CosineSimilarity(column, slot, label, query, threshold);
  }

  private static float[] vector(LfSpec spec, String what, JsonNode node, int dimension) {
    if (node == null || !node.isArray()) {
      throw spec.invalid("'" + what + "' must be a list of numbers");
    }
    if (node.size() != dimension) {
      throw spec.invalid("'" + what + "' has length " + node.size() + "; column vectors have length " + dimension);
    }
    float[] out = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      JsonNode v = node.get(i);
      if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
        throw spec.invalid("'" + what + "' must hold finite numbers only");
      }
      out[i] = (float) v.asDouble();
    }
    return out;
  }

  private static String textColumn(LfSpec spec, Schema schema) {
    String column = spec.requiredString("column");
    Field field = field(spec, schema, column);
    ArrowType type = field.getType();
    if (!ColumnTypes.isText(type)) {
      throw spec.invalid("column '" + column + "' has type " + type + ", not text");
    }
    return column;
  }

  private static Field field(LfSpec spec, Schema schema, String column) {
    for (Field f : schema.getFields()) {
      if (f.getName().equals(column)) {
        return f;
      }
    }
    throw spec.invalid("unknown column '" + column + "'");
  }
}
