package dev.labelflight.engine.lf.expression;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.types.CelType;
import dev.cel.common.types.SimpleType;
import dev.labelflight.engine.lf.ByteStringSet;
import dev.labelflight.engine.lf.expression.Columnar.Node;
import dev.labelflight.engine.lf.expression.Columnar.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a checked CEL AST into a {@link Columnar} plan when every node is in the common subset (column
 * references, literals, comparisons, {@code && || !}, {@code ?:}, arithmetic, {@code in} a list of
 * literals, {@code contains/startsWith/endsWith/matches} with a literal argument, {@code size} of a
 * string). Anything else answers empty and the expression runs in the CEL interpreter.
 */
final class ColumnarPlanner {
  private final CelAbstractSyntaxTree ast;
  private final Map<String, Type> columns;

  ColumnarPlanner(CelAbstractSyntaxTree ast, Map<String, Type> columns) {
    this.ast = ast;
    this.columns = columns;
  }

  Optional<Node> plan() {
    return Optional.ofNullable(node(ast.getExpr()));
  }

  private Type typeOf(CelExpr e) {
    CelType t = ast.getType(e.id()).orElse(null);
    if (SimpleType.BOOL.equals(t)) {
      return Type.BOOL;
    }
    if (SimpleType.INT.equals(t)) {
      return Type.INT;
    }
    if (SimpleType.DOUBLE.equals(t)) {
      return Type.DOUBLE;
    }
    if (SimpleType.STRING.equals(t)) {
      return Type.STRING;
    }
    return null;
  }

  private Node node(CelExpr e) {
    Type type = typeOf(e);
    if (type == null) {
      return null;
    }
    return switch (e.getKind()) {
      case CONSTANT -> literal(e.constant(), type);
      case IDENT -> columns.get(e.ident().name()) == type ? new Columnar.ColumnRef(e.ident().name(), type) : null;
      case CALL -> call(e.call(), type);
      default -> null;
    };
  }

  private static Node literal(CelConstant c, Type type) {
    return switch (c.getKind()) {
      case BOOLEAN_VALUE -> new Columnar.Literal(Type.BOOL, c.booleanValue());
      case INT64_VALUE -> new Columnar.Literal(Type.INT, c.int64Value());
      case DOUBLE_VALUE -> new Columnar.Literal(Type.DOUBLE, c.doubleValue());
      case STRING_VALUE -> new Columnar.Literal(Type.STRING, c.stringValue());
      default -> null;
    };
  }

  private Node call(CelExpr.CelCall call, Type type) {
    List<CelExpr> args = new ArrayList<>();
    call.target().ifPresent(args::add);
    args.addAll(call.args());
    String fn = call.function();
    switch (fn) {
      case "!_" -> {
        Node x = node(args.get(0));
        return x == null ? null : new Columnar.Not(x);
      }
      case "_&&_", "_||_" -> {
        Node a = node(args.get(0));
        Node b = node(args.get(1));
        return a == null || b == null ? null : new Columnar.Logic(a, b, fn.equals("_&&_"));
      }
      case "_?_:_" -> {
        if (type == Type.STRING) {
          return null;
        }
        Node k = node(args.get(0));
        Node a = node(args.get(1));
        Node b = node(args.get(2));
        return k == null || a == null || b == null || a.type != type || b.type != type
            ? null : new Columnar.Conditional(k, a, b);
      }
      case "_<_", "_<=_", "_>_", "_>=_", "_==_", "_!=_" -> {
        Node a = node(args.get(0));
        Node b = node(args.get(1));
        if (a == null || b == null) {
          return null;
        }
        Columnar.Op op = switch (fn) {
          case "_<_" -> Columnar.Op.LT;
          case "_<=_" -> Columnar.Op.LE;
          case "_>_" -> Columnar.Op.GT;
          case "_>=_" -> Columnar.Op.GE;
          case "_==_" -> Columnar.Op.EQ;
          default -> Columnar.Op.NE;
        };
        boolean numbers = a.type != Type.STRING && a.type != Type.BOOL && b.type != Type.STRING && b.type != Type.BOOL;
        boolean same = a.type == b.type && (a.type != Type.STRING || op == Columnar.Op.EQ || op == Columnar.Op.NE);
        return numbers || same ? new Columnar.Compare(op, a, b) : null;
      }
      case "_+_", "_-_", "_*_", "_/_", "_%_" -> {
        if (type != Type.INT && type != Type.DOUBLE) {
          return null;
        }
        Node a = node(args.get(0));
        Node b = node(args.get(1));
        if (a == null || b == null || a.type != type || b.type != type) {
          return null;
        }
        Columnar.Arith op = switch (fn) {
          case "_+_" -> Columnar.Arith.ADD;
          case "_-_" -> Columnar.Arith.SUB;
          case "_*_" -> Columnar.Arith.MUL;
          case "_/_" -> Columnar.Arith.DIV;
          default -> Columnar.Arith.MOD;
        };
        return type == Type.DOUBLE && op == Columnar.Arith.MOD ? null : new Columnar.Arithmetic(op, a, b);
      }
      case "-_" -> {
        Node x = node(args.get(0));
        return x == null || (x.type != Type.INT && x.type != Type.DOUBLE) ? null : new Columnar.Negate(x);
      }
      case "contains", "startsWith", "endsWith", "matches" -> {
        if (args.size() != 2 || args.get(1).getKind() != CelExpr.ExprKind.Kind.CONSTANT) {
          return null;
        }
        Node s = node(args.get(0));
        if (s == null || s.type != Type.STRING || typeOf(args.get(1)) != Type.STRING) {
          return null;
        }
        String literal = args.get(1).constant().stringValue();
        if (fn.equals("matches")) {
          try {
            return new Columnar.Matches(s, Pattern.compile(literal));
          } catch (PatternSyntaxException e) {
            return null; // the interpreter reports the bad pattern as a row error, as CEL does
          }
        }
        return new Columnar.StringPredicate(switch (fn) {
          case "contains" -> Columnar.StringTest.CONTAINS;
          case "startsWith" -> Columnar.StringTest.STARTS_WITH;
          default -> Columnar.StringTest.ENDS_WITH;
        }, s, literal);
      }
      case "size" -> {
        if (args.size() != 1) {
          return null;
        }
        Node s = node(args.get(0));
        return s == null || s.type != Type.STRING ? null : new Columnar.StringSize(s);
      }
      case "@in" -> {
        Node x = node(args.get(0));
        CelExpr list = args.get(1);
        if (x == null || list.getKind() != CelExpr.ExprKind.Kind.LIST) {
          return null;
        }
        List<String> strings = new ArrayList<>();
        List<Long> ints = new ArrayList<>();
        for (CelExpr element : list.list().elements()) {
          if (element.getKind() != CelExpr.ExprKind.Kind.CONSTANT) {
            return null;
          }
          CelConstant c = element.constant();
          if (x.type == Type.STRING && c.getKind() == CelConstant.Kind.STRING_VALUE) {
            strings.add(c.stringValue());
          } else if (x.type == Type.INT && c.getKind() == CelConstant.Kind.INT64_VALUE) {
            ints.add(c.int64Value());
          } else {
            return null;
          }
        }
        if (x.type == Type.STRING) {
          return new Columnar.InSet(x, new ByteStringSet(strings), null);
        }
        if (x.type == Type.INT) {
          long[] sorted = ints.stream().mapToLong(Long::longValue).toArray();
          Arrays.sort(sorted);
          return new Columnar.InSet(x, null, sorted);
        }
        return null;
      }
      default -> {
        return null;
      }
    }
  }
}
