package dev.labelflight.engine.lf;

import dev.labelflight.engine.lf.LfField.ColumnType;
import dev.labelflight.engine.lf.LfField.Type;
import java.util.List;

/**
 * The fields of every LF kind, declared once: {@link LfKind} lists them per kind, {@link LfSpec} reads
 * values through them, and {@link LfKind#describe} hands them to the Flight API, the web UI and the Python
 * client. The fields every kind has come first.
 */
public final class LfFields {
  private LfFields() {}

  // Every kind.
  public static final LfField NAME = LfField.required("name", Type.STRING,
      "unique within the job, at most " + LfSpec.MAX_NAME_LENGTH + " characters, not 'row_id'");
  public static final LfField KIND = LfField.required("kind", Type.STRING, "the LF kind");
  public static final LfField LABEL = LfField.required("label", Type.LABEL, "the class the LF votes for, one of the job's labels");
  public static final LfField VOTE = LfField.choice("vote", List.of("positive", "negative"), "positive",
      "in a multiLabel job: whether the LF votes that its label applies (1) or not (0)");
  public static final LfField FAULT_TOLERANT = LfField.optional("faultTolerant", Type.BOOLEAN, false,
      "abstain on rows the LF fails on and count them as faults, instead of failing the job");
  /** The fields of every kind, in this order before the kind's own. */
  static final List<LfField> COMMON = List.of(NAME, KIND, LABEL, VOTE, FAULT_TOLERANT);

  // keyword
  public static final LfField TEXT_COLUMN = LfField.column("the text column to read", ColumnType.TEXT);
  public static final LfField KEYWORDS = LfField.required("keywords", Type.STRING_LIST,
      "non-empty strings; the LF votes where any of them occurs");
  public static final LfField KEYWORD_CASE_SENSITIVE = LfField.optional("caseSensitive", Type.BOOLEAN, false,
      "false: Unicode simple case folding, as Python's re.IGNORECASE");
  public static final LfField WHOLE_WORD = LfField.optional("wholeWord", Type.BOOLEAN, false,
      "only where no word character (Unicode letter, number or '_') is just before or after the keyword");

  // regex
  public static final LfField PATTERN = LfField.required("pattern", Type.STRING,
      "RE2 syntax; \\w \\d \\s \\b are Unicode-aware as in Python's re");
  public static final LfField REGEX_CASE_SENSITIVE = LfField.optional("caseSensitive", Type.BOOLEAN, true,
      "false: Unicode simple case folding, as Python's re.IGNORECASE");
  public static final LfField MATCH = LfField.choice("match", List.of("anywhere", "full"), "anywhere",
      "anywhere: a match anywhere in the value (re.search); full: the whole value (re.fullmatch)");
  public static final LfField DOT_ALL = LfField.optional("dotAll", Type.BOOLEAN, false, "'.' also matches a newline");
  public static final LfField MULTILINE = LfField.optional("multiline", Type.BOOLEAN, false,
      "'^' and '$' also match at line starts and ends");

  // numeric
  public static final LfField NUMBER_COLUMN = LfField.column("the number column to compare", ColumnType.NUMBER);
  public static final LfField OP = LfField.choice("op", NumericThreshold.OPERATORS, null,
      "how the column's value compares with 'value' (or lies within [min, max] for 'between')");
  public static final LfField VALUE = LfField.optional("value", Type.NUMBER, null, "the threshold")
      .requiredUnless("op", List.of("between"));
  public static final LfField MIN = LfField.optional("min", Type.NUMBER, null, "the range's lower bound, inclusive")
      .requiredWhen("op", List.of("between"));
  public static final LfField MAX = LfField.optional("max", Type.NUMBER, null, "the range's upper bound, inclusive")
      .requiredWhen("op", List.of("between"));

  // categorical
  public static final LfField CATEGORY_COLUMN = LfField.column(
      "the column to read (dictionary-encoded columns are matched once per entry)", ColumnType.TEXT, ColumnType.INTEGER);
  public static final LfField VALUES = LfField.required("values", Type.VALUE_LIST,
      "strings for a text column, integers for an int column; the LF votes where the value is one of them");

  // expression
  public static final LfField EXPR = LfField.required("expr", Type.STRING,
      "a CEL expression over the row's columns by name: bool with 'label', else an int class index (-1 abstains)");
  public static final LfField OPTIONAL_LABEL = LfField.optional("label", Type.LABEL, null,
      "the class voted where the expression is true; without it the expression returns the class index");

  // similarity
  public static final LfField VECTOR_COLUMN = LfField.column("the vector column to compare", ColumnType.FLOAT_VECTOR);
  public static final LfField QUERY = LfField.optional("query", Type.VECTOR, null,
      "the query vector (exactly one of query and examples)");
  public static final LfField EXAMPLES = LfField.optional("examples", Type.VECTOR_LIST, null,
      "example vectors whose mean is the query (exactly one of query and examples)");
  public static final LfField SIMILARITY_THRESHOLD = LfField.required("threshold", Type.NUMBER,
      "votes where the cosine similarity is above it, within [-1, 1]");

  // model
  public static final LfField MODEL_COLUMN = LfField.column(
      "the column the model scores: text (string input [N, 1]) or vectors (float input [N, d])",
      ColumnType.TEXT, ColumnType.FLOAT_VECTOR);
  public static final LfField MODEL = LfField.required("model", Type.STRING,
      "an ONNX file, relative to the node's models directory");
  public static final LfField CLASS = LfField.required("class", Type.INTEGER,
      "the index of the class score to read from the model's output");
  public static final LfField MODEL_THRESHOLD = LfField.required("threshold", Type.NUMBER,
      "votes where the class score is above it");
  public static final LfField OUTPUT = LfField.optional("output", Type.STRING, null,
      "the float [N, classes] output to read (default: the first one)");

  // python
  public static final LfField PICKLE = LfField.required("pickle", Type.STRING,
      "the function as base64 cloudpickle (the Python client makes it)");
  public static final LfField FINGERPRINT = LfField.required("fingerprint", Type.STRING,
      "64 hex digits: SHA-256 of the function's code, closure, preprocessors and package versions (the label "
          + "cache's key for the LF)");
  public static final LfField PYTHON_VERSION = LfField.required("python", Type.STRING,
      "the Python version the function was pickled with, such as 3.11");
  public static final LfField IMPORTS = LfField.optional("imports", Type.STRING_MAP, null,
      "the packages the function uses, by name to version");
  public static final LfField PYTHON_MODE = LfField.choice("mode", List.of("row", "batch"), "row",
      "'row': f(row) per row; 'batch': f(frame) returns a label per row");
  public static final LfField MEMORY_MIB = LfField.optional("memoryMiB", Type.INTEGER, null,
      "the worker's address-space limit for this LF, in MiB (at most python.maxMemoryMiB)");
}
