package dev.labelflight.engine.lf;

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

/**
 * Turns LF specs into evaluators for one dataset schema, checking every field first: an unknown kind or
 * column, a column of the wrong type, an invalid pattern or label fails with INVALID_ARGUMENT naming
 * the LF. Keyword LFs on the same column are fused into one {@link KeywordMatcher}.
 */
public final class LfCompiler {
  private final LfLimits limits;

  public LfCompiler(LfLimits limits) {
    this.limits = limits;
  }

  public CompiledLfSet compile(List<LfSpec> specs, LabelSpace labels, Schema schema) {
    if (specs.isEmpty()) {
      throw LabelFlightException.invalid("'lfs' is empty: give at least one LF");
    }
    if (specs.size() > limits.maxLfs()) {
      throw LabelFlightException.invalid("a job may carry at most " + limits.maxLfs() + " LFs; got " + specs.size());
    }
    Set<String> names = new HashSet<>();
    List<String> order = new ArrayList<>();
    List<LfEvaluator> evaluators = new ArrayList<>();
    Map<String, List<KeywordMatcher.Member>> keywordsByColumn = new LinkedHashMap<>();
    for (int slot = 0; slot < specs.size(); slot++) {
      LfSpec spec = specs.get(slot);
      if (!names.add(spec.name())) {
        throw LabelFlightException.invalid("two LFs are named '" + spec.name() + "'");
      }
      order.add(spec.name());
      byte label = labels.labelOf(spec);
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
        case "regex" -> evaluators.add(regex(spec, slot, label, textColumn(spec, schema)));
        case "numeric" -> evaluators.add(numeric(spec, slot, label, schema));
        default -> throw spec.invalid("unknown kind '" + spec.kind() + "' (known: keyword, regex, numeric)");
      }
    }
    keywordsByColumn.forEach((column, members) -> evaluators.add(0, new KeywordMatcher(column, members)));
    return new CompiledLfSet(order, evaluators);
  }

  private RegexMatcher regex(LfSpec spec, int slot, byte label, String column) {
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
    try {
      return new RegexMatcher(column, slot, label,
          Pattern.compile(pattern, caseInsensitive ? Pattern.CASE_INSENSITIVE : 0), match.equals("full"), caseInsensitive);
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
