package dev.labelflight.engine.lf.expression;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfEvaluator;
import dev.labelflight.engine.lf.LfFields;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSetBuilder;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.lf.regex.UnicodeRegex;
import dev.labelflight.engine.store.ColumnTypes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Compiles an {@code expression} LF: a CEL expression over the row's columns by name (utf8 as string,
 * int* as int, float* as double, bool as bool, fixed_size_list&lt;float32&gt; as list(double)) returning a
 * bool (the LF's {@code label} on true) or, without {@code label}, an int (the class index itself, -1
 * abstains). Bad CEL, unknown names or functions and the wrong result type are INVALID_ARGUMENT naming
 * the LF; so are expressions over the length, nesting or size limits.
 */
public final class ExpressionCompiler {
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Set<String> RESERVED = Set.of("true", "false", "null", "in", "as", "break", "const",
      "continue", "else", "for", "function", "if", "import", "let", "loop", "package", "namespace", "return",
      "var", "void", "while");

  private final LfLimits limits;

  public ExpressionCompiler(LfLimits limits) {
    this.limits = limits;
  }

  /** The compile hook of {@link dev.labelflight.engine.lf.LfKind#EXPRESSION}. */
  public static void compile(LfSpec spec, int slot, LfSetBuilder set) {
    set.add(new ExpressionCompiler(set.limits()).compile(spec, slot, set.code(spec), set.labels().size(), set.schema()));
  }

  /** {@code label} is the class voted on true, or {@link LabelSpace#ABSTAIN} for an int-valued expression. */
  public LfEvaluator compile(LfSpec spec, int slot, byte label, int classes, Schema schema) {
    String source = spec.string(LfFields.EXPR);
    if (source.isBlank()) {
      throw spec.invalid("expr", "'expr' is empty");
    }
    if (source.length() > limits.maxExpressionLength()) {
      throw spec.overLimit("expr", "expression is longer than " + limits.maxExpressionLength()
          + " characters (limits.maxExpressionLength)", limits.maxExpressionLength(), source.length(), "chars");
    }
    Map<String, Columnar.Type> columnarTypes = new LinkedHashMap<>();
    Map<String, CelType> declared = new LinkedHashMap<>();
    for (Field field : schema.getFields()) {
      CelType type = celType(field);
      if (type != null && IDENTIFIER.matcher(field.getName()).matches() && !RESERVED.contains(field.getName())) {
        declared.put(field.getName(), type);
        Columnar.Type ct = columnarType(type);
        if (ct != null) {
          columnarTypes.put(field.getName(), ct);
        }
      }
    }
    CelOptions options = CelOptions.current()
        .maxExpressionCodePointSize(limits.maxExpressionLength())
        .comprehensionMaxIterations(limits.comprehensionMaxIterations())
        .enableHeterogeneousNumericComparisons(true)
        .errorOnIntWrap(true)
        .enableRegexPartialMatch(true)
        .build();
    CelCompilerBuilder builder = CelCompilerFactory.standardCelCompilerBuilder().setOptions(options)
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS);
    declared.forEach(builder::addVar);
    CelCompiler compiler = builder.build();
    CelAbstractSyntaxTree ast;
    try {
      CelValidationResult result = compiler.compile(source);
      if (result.hasError()) {
        throw spec.invalid("expr", "invalid CEL: " + result.getErrorString());
      }
      ast = result.getAst();
    } catch (CelValidationException e) {
      throw spec.invalid("expr", "invalid CEL: " + e.getMessage());
    } catch (StackOverflowError e) {
      throw spec.invalid("expr", "expression is too deeply nested");
    }
    int[] shape = new int[2]; // depth, nodes
    measure(ast.getExpr(), 1, shape);
    if (shape[0] > limits.maxExpressionDepth()) {
      throw spec.overLimit("expr", "expression nests " + shape[0] + " levels deep; at most " + limits.maxExpressionDepth()
          + " (limits.maxExpressionDepth)", limits.maxExpressionDepth(), shape[0], "levels");
    }
    if (shape[1] > limits.maxExpressionNodes()) {
      throw spec.overLimit("expr", "expression has " + shape[1] + " nodes; at most " + limits.maxExpressionNodes()
          + " (limits.maxExpressionNodes)", limits.maxExpressionNodes(), shape[1], "nodes");
    }
    checkRegexes(spec, ast.getExpr());
    CelType result = ast.getResultType();
    boolean labelled = label != LabelSpace.ABSTAIN;
    if (labelled && !SimpleType.BOOL.equals(result)) {
      throw spec.invalid("expr", "expression returns " + result.name() + "; with 'label' it must return bool");
    }
    if (!labelled && !SimpleType.INT.equals(result)) {
      throw spec.invalid("expr", "expression returns " + result.name()
          + "; without 'label' it must return int (a class index, -1 to abstain)");
    }
    CelRuntime.Program program;
    try {
      CelRuntime runtime = CelRuntimeFactory.standardCelRuntimeBuilder().setOptions(options).build();
      program = runtime.createProgram(ast);
    } catch (CelEvaluationException e) {
      throw spec.invalid("expr", "cannot plan CEL expression: " + e.getMessage());
    }
    List<String> read = new ArrayList<>();
    collectIdentifiers(ast.getExpr(), declared.keySet(), read);
    return new ExpressionEvaluator(spec.name(), slot, label, classes, program,
        new ColumnarPlanner(ast, columnarTypes).plan().orElse(null), read, declared, limits,
        spec.bool(LfFields.FAULT_TOLERANT));
  }

  /**
   * Refuses a {@code matches} whose pattern is a literal with a program over
   * {@code limits.maxRegexProgramSize} (as regex LFs): RE2J would build it for every row.
   */
  private void checkRegexes(LfSpec spec, CelExpr e) {
    if (e.getKind() == CelExpr.ExprKind.Kind.CALL && e.call().function().equals("matches")) {
      List<CelExpr> args = new ArrayList<>();
      e.call().target().ifPresent(args::add);
      args.addAll(e.call().args());
      CelExpr pattern = args.get(args.size() - 1);
      if (pattern.getKind() == CelExpr.ExprKind.Kind.CONSTANT
          && pattern.constant().getKind() == dev.cel.common.ast.CelConstant.Kind.STRING_VALUE) {
        String text = pattern.constant().stringValue();
        long size = UnicodeRegex.programSize(text, false, false, false).orElse(0L);
        if (size > limits.maxRegexProgramSize()) {
          throw spec.overLimit("expr", "the pattern of matches() would have a program of " + size
              + " instructions, more than limits.maxRegexProgramSize = " + limits.maxRegexProgramSize(),
              limits.maxRegexProgramSize(), size, "instructions");
        }
      }
    }
    for (CelExpr child : children(e)) {
      checkRegexes(spec, child);
    }
  }

  private static CelType celType(Field field) {
    if (field.getDictionary() != null) {
      return null;
    }
    ArrowType type = field.getType();
    if (ColumnTypes.isText(type)) {
      return SimpleType.STRING;
    }
    if (type instanceof ArrowType.Int) {
      return SimpleType.INT;
    }
    if (type instanceof ArrowType.FloatingPoint) {
      return SimpleType.DOUBLE;
    }
    if (type instanceof ArrowType.Bool) {
      return SimpleType.BOOL;
    }
    if (ColumnTypes.isFloatVector(field)) {
      return ListType.create(SimpleType.DOUBLE);
    }
    return null;
  }

  private static Columnar.Type columnarType(CelType type) {
    if (SimpleType.STRING.equals(type)) {
      return Columnar.Type.STRING;
    }
    if (SimpleType.INT.equals(type)) {
      return Columnar.Type.INT;
    }
    if (SimpleType.DOUBLE.equals(type)) {
      return Columnar.Type.DOUBLE;
    }
    if (SimpleType.BOOL.equals(type)) {
      return Columnar.Type.BOOL;
    }
    return null;
  }

  private static void measure(CelExpr e, int depth, int[] shape) {
    shape[0] = Math.max(shape[0], depth);
    shape[1]++;
    for (CelExpr child : children(e)) {
      measure(child, depth + 1, shape);
    }
  }

  private static void collectIdentifiers(CelExpr e, Set<String> columns, List<String> out) {
    if (e.getKind() == CelExpr.ExprKind.Kind.IDENT && columns.contains(e.ident().name())
        && !out.contains(e.ident().name())) {
      out.add(e.ident().name());
    }
    for (CelExpr child : children(e)) {
      collectIdentifiers(child, columns, out);
    }
  }

  private static List<CelExpr> children(CelExpr e) {
    List<CelExpr> out = new ArrayList<>();
    switch (e.getKind()) {
      case SELECT -> out.add(e.select().operand());
      case CALL -> {
        e.call().target().ifPresent(out::add);
        out.addAll(e.call().args());
      }
      case LIST -> out.addAll(e.list().elements());
      case MAP -> e.map().entries().forEach(en -> {
        out.add(en.key());
        out.add(en.value());
      });
      case STRUCT -> e.struct().entries().forEach(en -> out.add(en.value()));
      case COMPREHENSION -> {
        var c = e.comprehension();
        out.add(c.iterRange());
        out.add(c.accuInit());
        out.add(c.loopCondition());
        out.add(c.loopStep());
        out.add(c.result());
      }
      default -> { }
    }
    return out;
  }
}
