package dev.labelflight.engine.lf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.lf.expression.ExpressionCompiler;
import dev.labelflight.engine.lf.model.ModelScorer;
import dev.labelflight.engine.lf.python.PythonFunction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The LF kinds: the one registry of what an LF spec may say. Each kind has its JSON name, a summary, its
 * fields ({@link LfFields}: type, required or default, constraints) and how it compiles into an evaluator.
 * {@link LfSpec#parse} refuses unknown kinds and fields with it, {@link LfCompiler} compiles through it, and
 * {@link #describe} gives it to clients as JSON (the Flight action {@code lf_kinds}, the web UI, the Python
 * client), so none of them keeps a copy.
 *
 * <p>Adding a kind is one constant here: its fields (declared beside the others in {@link LfFields}, or in
 * the kind's own class) and its {@link Compile} hook, which checks the spec's values against the dataset
 * and adds an evaluator to the {@link LfSetBuilder} (reaching node services such as the model registry or a
 * Python worker pool through {@link LfSetBuilder#service}). A kind whose evaluator lives in a module that
 * depends on the engine declares an interface here and hooks {@code (spec, slot, set) ->
 * set.service(ThatInterface.class).compile(spec, slot, set)}; the node passes the implementation to
 * {@link LfCompiler#LfCompiler(LfLimits, java.util.Map)}.
 */
public enum LfKind {
  KEYWORD("keyword", "votes where any of its keywords occurs in a text column; all keyword LFs of a column "
      + "run as one Aho-Corasick pass", List.of(LfFields.TEXT_COLUMN, LfFields.KEYWORDS,
          LfFields.KEYWORD_CASE_SENSITIVE, LfFields.WHOLE_WORD), List.of(), KeywordMatcher::compile),
  REGEX("regex", "votes where a regular expression matches a text column (linear time: a lazy DFA, an NFA "
      + "simulation where the DFA cannot answer)", List.of(LfFields.TEXT_COLUMN, LfFields.PATTERN,
          LfFields.REGEX_CASE_SENSITIVE, LfFields.MATCH, LfFields.DOT_ALL, LfFields.MULTILINE), List.of(),
      RegexMatcher::compile),
  NUMERIC("numeric", "votes where a number column compares true with a threshold or lies within a range",
      List.of(LfFields.NUMBER_COLUMN, LfFields.OP, LfFields.VALUE, LfFields.MIN, LfFields.MAX), List.of(),
      NumericThreshold::compile),
  CATEGORICAL("categorical", "votes where a text or integer column's value is one of a set",
      List.of(LfFields.CATEGORY_COLUMN, LfFields.VALUES), List.of(), CategoricalMatcher::compile),
  // An expression may return the class index itself: its label is optional.
  EXPRESSION("expression", "a CEL expression over the row's columns: votes 'label' where true, or returns the "
      + "class index itself", LfFields.OPTIONAL_LABEL, List.of(LfFields.EXPR), List.of(), ExpressionCompiler::compile),
  SIMILARITY("similarity", "votes where the cosine similarity of a vector column to a query vector is above a "
      + "threshold", List.of(LfFields.VECTOR_COLUMN, LfFields.QUERY, LfFields.EXAMPLES, LfFields.SIMILARITY_THRESHOLD),
      List.of(List.of("query", "examples")), CosineSimilarity::compile),
  MODEL("model", "votes where an ONNX model's score for a class is above a threshold (loaded once per node)",
      List.of(LfFields.MODEL_COLUMN, LfFields.MODEL, LfFields.CLASS, LfFields.MODEL_THRESHOLD, LfFields.OUTPUT),
      List.of(), ModelScorer::compile),
  // A Python function returns class indexes itself: no label.
  PYTHON("python", "a user's Python function (a Snorkel LF, f(row) or a batch f(frame)) returning class indexes "
      + "itself, run in the node's Python worker processes", null, List.of(LfFields.PICKLE, LfFields.FINGERPRINT,
          LfFields.PYTHON_VERSION, LfFields.IMPORTS, LfFields.PYTHON_MODE, LfFields.MEMORY_MIB), List.of(),
      PythonFunction::compile);

  /** How an LF of a kind compiles: checks its values against the dataset and adds its evaluator to {@code set}. */
  @FunctionalInterface
  public interface Compile {
    void compile(LfSpec spec, int slot, LfSetBuilder set);
  }

  private final String id;
  private final String summary;
  private final List<LfField> fields;
  private final List<List<String>> exactlyOneOf;
  private final Compile compile;

  LfKind(String id, String summary, List<LfField> own, List<List<String>> exactlyOneOf, Compile compile) {
    this(id, summary, LfFields.LABEL, own, exactlyOneOf, compile);
  }

  /** {@code label}: the kind's label field in place of the common one (null: the kind has none). */
  LfKind(String id, String summary, LfField label, List<LfField> own, List<List<String>> exactlyOneOf,
      Compile compile) {
    this.id = id;
    this.summary = summary;
    List<LfField> all = new ArrayList<>();
    for (LfField common : LfFields.COMMON) {
      LfField field = common == LfFields.LABEL ? label : common;
      if (field != null) {
        all.add(field);
      }
    }
    all.addAll(own);
    this.fields = List.copyOf(all);
    this.exactlyOneOf = List.copyOf(exactlyOneOf);
    this.compile = compile;
  }

  /** The kind's name in LF specs ({@code "keyword"}, ...). */
  public String id() {
    return id;
  }

  public String summary() {
    return summary;
  }

  /** Every field an LF of this kind may carry, the common ones first. */
  public List<LfField> fields() {
    return fields;
  }

  /** The field called {@code name}, if this kind has it. */
  public Optional<LfField> field(String name) {
    for (LfField f : fields) {
      if (f.name().equals(name)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  /** Groups of fields of which a spec must carry exactly one (similarity: query or examples). */
  public List<List<String>> exactlyOneOf() {
    return exactlyOneOf;
  }

  Compile compiler() {
    return compile;
  }

  /** The kind named {@code id}, if there is one. */
  public static Optional<LfKind> of(String id) {
    for (LfKind kind : values()) {
      if (kind.id.equals(id)) {
        return Optional.of(kind);
      }
    }
    return Optional.empty();
  }

  /** The names of all kinds, in registry order. */
  public static List<String> ids() {
    return Arrays.stream(values()).map(LfKind::id).toList();
  }

  @Override
  public String toString() {
    return id;
  }

  /** This kind as clients read it: {@code {"kind", "summary", "fields": [...], "exactlyOneOf"?}}. */
  public ObjectNode describe() {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put("kind", id).put("summary", summary);
    ArrayNode list = out.putArray("fields");
    fields.forEach(f -> list.add(f.describe()));
    if (!exactlyOneOf.isEmpty()) {
      ArrayNode groups = out.putArray("exactlyOneOf");
      exactlyOneOf.forEach(g -> g.forEach(groups.addArray()::add));
    }
    return out;
  }

  /**
   * Every kind with its fields, and the limits that bound LF specs on this node:
   * {@code {"kinds": [...], "limits": {...}}}. The Flight action {@code lf_kinds} answers this.
   */
  public static ObjectNode describe(LfLimits limits) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    ArrayNode kinds = out.putArray("kinds");
    for (LfKind kind : values()) {
      kinds.add(kind.describe());
    }
    ObjectNode l = out.putObject("limits");
    l.put("maxLfs", limits.maxLfs()).put("maxNameLength", LfSpec.MAX_NAME_LENGTH)
        .put("maxKeywordsPerLf", limits.maxKeywordsPerLf()).put("maxRegexLength", limits.maxRegexLength())
        .put("maxRegexProgramSize", limits.maxRegexProgramSize()).put("regexStepsPerByte", limits.regexStepsPerByte())
        .put("maxExpressionLength", limits.maxExpressionLength()).put("maxExpressionDepth", limits.maxExpressionDepth())
        .put("maxExpressionNodes", limits.maxExpressionNodes())
        .put("comprehensionMaxIterations", limits.comprehensionMaxIterations())
        .put("expressionChunkDeadlineMs", limits.expressionChunkDeadlineMs()).put("maxClasses", limits.maxClasses());
    return out;
  }
}
