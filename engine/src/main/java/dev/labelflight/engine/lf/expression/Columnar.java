package dev.labelflight.engine.lf.expression;

import com.google.re2j.Pattern;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.lf.regex.CountingText;
import dev.labelflight.engine.lf.regex.UnicodeRegex;
import dev.labelflight.engine.lf.unicode.Utf8;
import dev.labelflight.engine.lf.ByteStringSet;
import dev.labelflight.engine.lf.TextColumn;
import dev.labelflight.engine.lf.regex.ByteRegex;
import dev.labelflight.engine.lf.regex.LazyDfa;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The columnar form of the common CEL subset: each node computes its value for every row of a chunk at
 * once into a plain array, with a per-row error flag that follows CEL's rules (strict operators pass
 * errors on; {@code &&} and {@code ||} absorb an error when the other side decides the result).
 *
 * <p>Long because it is one node type per CEL operator of the subset, each a small columnar loop; they
 * read alike side by side and share the error-flag helpers.
 */
final class Columnar {
  private Columnar() {}

  private static final java.lang.invoke.VarHandle LONGS =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

  /** The CEL types the columnar path handles. */
  enum Type { BOOL, INT, DOUBLE, STRING }

  /** A node's values over a chunk: one array by type, and {@code errors[row] != 0} where the row errs. */
  static final class Values {
    byte[] bools;
    long[] ints;
    double[] doubles;
    byte[] text;
    int[] offsets;
    boolean constantText;
    byte[] errors;

    int start(int row) {
      return constantText ? 0 : offsets[row];
    }

    int end(int row) {
      return constantText ? text.length : offsets[row + 1];
    }

    boolean err(int row) {
      return errors != null && errors[row] != 0;
    }
  }

  /** Rows between cancellation checks in the loops that read text (per node, the other loops take microseconds). */
  static final int CHECK_ROWS = 1024;

  /** One node of the plan. */
  abstract static class Node {
    final Type type;

    Node(Type type) {
      this.type = type;
    }

    /** This node's values over the chunk; checks the thread's cancel token first. */
    final Values eval(ChunkColumns columns) {
      CancelToken.check();
      return evaluate(columns);
    }

    abstract Values evaluate(ChunkColumns columns);
  }

  static byte[] mergeErrors(byte[] a, byte[] b, int rows) {
    if (a == null) {
      return b == null ? null : b.clone();
    }
    byte[] out = a.clone();
    if (b != null) {
      for (int i = 0; i < rows; i++) {
        out[i] |= b[i];
      }
    }
    return out;
  }

  static byte[] errorsOf(byte[] errors, int rows) {
    return errors != null ? errors : new byte[rows];
  }

  /** A column read by name. */
  static final class ColumnRef extends Node {
    private final String name;

    ColumnRef(String name, Type type) {
      super(type);
      this.name = name;
    }

    @Override
    Values evaluate(ChunkColumns c) {
      Values v = new Values();
      switch (type) {
        case BOOL -> v.bools = c.bools(name);
        case INT -> v.ints = c.ints(name);
        case DOUBLE -> v.doubles = c.doubles(name);
        case STRING -> {
          TextColumn t = c.text(name);
          v.text = t.data;
          v.offsets = t.offsets;
        }
      }
      return v;
    }
  }

  /** A literal, broadcast to every row. */
  static final class Literal extends Node {
    private final Object value;

    Literal(Type type, Object value) {
      super(type);
      this.value = value;
    }

    @Override
    Values evaluate(ChunkColumns c) {
      Values v = new Values();
      int rows = c.rows();
      switch (type) {
        case BOOL -> {
          v.bools = new byte[rows];
          Arrays.fill(v.bools, (byte) ((Boolean) value ? 1 : 0));
        }
        case INT -> {
          v.ints = new long[rows];
          Arrays.fill(v.ints, (Long) value);
        }
        case DOUBLE -> {
          v.doubles = new double[rows];
          Arrays.fill(v.doubles, (Double) value);
        }
        case STRING -> {
          v.text = ((String) value).getBytes(StandardCharsets.UTF_8);
          v.constantText = true;
        }
      }
      return v;
    }
  }

  /** {@code !x}. */
  static final class Not extends Node {
    private final Node child;

    Not(Node child) {
      super(Type.BOOL);
      this.child = child;
    }

    @Override
    Values evaluate(ChunkColumns c) {
      Values x = child.eval(c);
      Values v = new Values();
      int rows = c.rows();
      v.bools = new byte[rows];
      for (int i = 0; i < rows; i++) {
        v.bools[i] = (byte) (x.bools[i] ^ 1);
      }
      v.errors = x.errors;
      return v;
    }
  }

  /** {@code a && b} and {@code a || b}, absorbing errors as CEL does. */
  static final class Logic extends Node {
    private final Node left;
    private final Node right;
    private final boolean and;

    Logic(Node left, Node right, boolean and) {
      super(Type.BOOL);
      this.left = left;
      this.right = right;
      this.and = and;
    }

    @Override
    Values evaluate(ChunkColumns c) {
      Values a = left.eval(c);
      Values b = right.eval(c);
      int rows = c.rows();
      Values v = new Values();
      v.bools = new byte[rows];
      // The value that decides the result whatever the other side is (false for &&, true for ||).
      byte decisive = (byte) (and ? 0 : 1);
      if (a.errors == null && b.errors == null) {
        for (int i = 0; i < rows; i++) {
          v.bools[i] = (byte) (and ? a.bools[i] & b.bools[i] : a.bools[i] | b.bools[i]);
        }
        return v;
      }
      byte[] errors = new byte[rows];
      for (int i = 0; i < rows; i++) {
        boolean ea = a.err(i);
        boolean eb = b.err(i);
        if ((!ea && a.bools[i] == decisive) || (!eb && b.bools[i] == decisive)) {
          v.bools[i] = decisive;
        } else if (ea || eb) {
          errors[i] = 1;
        } else {
          v.bools[i] = (byte) (decisive ^ 1);
        }
      }
      v.errors = errors;
      return v;
    }
  }

  /** {@code c ? a : b}. */
  static final class Conditional extends Node {
    private final Node condition;
    private final Node then;
    private final Node otherwise;

    Conditional(Node condition, Node then, Node otherwise) {
      super(then.type);
      this.condition = condition;
      this.then = then;
      this.otherwise = otherwise;
    }

    @Override
    Values evaluate(ChunkColumns c) {
      Values k = condition.eval(c);
      Values a = then.eval(c);
      Values b = otherwise.eval(c);
      int rows = c.rows();
      Values v = new Values();
      byte[] errors = new byte[rows];
      switch (type) {
        case BOOL -> v.bools = new byte[rows];
        case INT -> v.ints = new long[rows];
        case DOUBLE -> v.doubles = new double[rows];
        default -> throw new IllegalStateException(type.toString());
      }
      for (int i = 0; i < rows; i++) {
        if (k.err(i)) {
          errors[i] = 1;
          continue;
        }
        Values pick = k.bools[i] != 0 ? a : b;
        if (pick.err(i)) {
          errors[i] = 1;
          continue;
        }
        switch (type) {
          case BOOL -> v.bools[i] = pick.bools[i];
          case INT -> v.ints[i] = pick.ints[i];
          default -> v.doubles[i] = pick.doubles[i];
        }
      }
      v.errors = errors;
      return v;
    }
  }

  /** Comparison operators. */
  enum Op { LT, LE, GT, GE, EQ, NE }

  static boolean test(Op op, int cmp) {
    return switch (op) {
      case LT -> cmp < 0;
      case LE -> cmp <= 0;
      case GT -> cmp > 0;
      case GE -> cmp >= 0;
      case EQ -> cmp == 0;
      case NE -> cmp != 0;
    };
  }

  /**
   * An int compared with a double exactly as cel-java's runtime does (ComparisonFunctions): doubles beyond
   * the int64 range are below or above every int, otherwise {@code Double.compare} on the int widened to
   * double, which ranks NaN above every number.
   */
  static int compareIntDouble(long a, double b) {
    if (b < -0x1p63) {
      return 1;
    }
    if (b > 0x1p63) {
      return -1;
    }
    return -Double.compare(b, (double) a);
  }

  /** {@code a OP b} over numbers, bools or strings (strings: equality only). */
  static final class Compare extends Node {
    private final Op op;
    private final Node left;
    private final Node right;

    Compare(Op op, Node left, Node right) {
      super(Type.BOOL);
      this.op = op;
      this.left = left;
      this.right = right;
    }

    @Override
    Values evaluate(ChunkColumns c) {
      Values a = left.eval(c);
      Values b = right.eval(c);
      int rows = c.rows();
      Values v = new Values();
      byte[] out = new byte[rows];
      v.bools = out;
      v.errors = mergeErrors(a.errors, b.errors, rows);
      Type ta = left.type;
      Type tb = right.type;
      // One plain loop per operator and type pair, repeated on purpose: a shared loop taking the operator
      // as a parameter would test it on every row.
      if (ta == Type.INT && tb == Type.INT) {
        long[] x = a.ints;
        long[] y = b.ints;
        switch (op) {
          case LT -> { for (int i = 0; i < rows; i++) out[i] = (byte) (x[i] < y[i] ? 1 : 0); }
          case LE -> { for (int i = 0; i < rows; i++) out[i] = (byte) (x[i] <= y[i] ? 1 : 0); }
          case GT -> { for (int i = 0; i < rows; i++) out[i] = (byte) (x[i] > y[i] ? 1 : 0); }
          case GE -> { for (int i = 0; i < rows; i++) out[i] = (byte) (x[i] >= y[i] ? 1 : 0); }
          case EQ -> { for (int i = 0; i < rows; i++) out[i] = (byte) (x[i] == y[i] ? 1 : 0); }
          case NE -> { for (int i = 0; i < rows; i++) out[i] = (byte) (x[i] != y[i] ? 1 : 0); }
        }
      } else if (ta == Type.DOUBLE && tb == Type.DOUBLE) {
        double[] x = a.doubles;
        double[] y = b.doubles;
        switch (op) {
          case LT -> { for (int i = 0; i < rows; i++) out[i] = (byte) (x[i] < y[i] ? 1 : 0); }
          case LE -> { for (int i = 0; i < rows; i++) out[i] = (byte) (x[i] <= y[i] ? 1 : 0); }
          case GT -> { for (int i = 0; i < rows; i++) out[i] = (byte) (x[i] > y[i] ? 1 : 0); }
          case GE -> { for (int i = 0; i < rows; i++) out[i] = (byte) (x[i] >= y[i] ? 1 : 0); }
          case EQ -> { for (int i = 0; i < rows; i++) out[i] = (byte) (x[i] == y[i] ? 1 : 0); }
          case NE -> { for (int i = 0; i < rows; i++) out[i] = (byte) (x[i] != y[i] ? 1 : 0); }
        }
      } else if (ta == Type.INT && tb == Type.DOUBLE || ta == Type.DOUBLE && tb == Type.INT) {
        boolean flip = ta == Type.DOUBLE;
        long[] x = flip ? b.ints : a.ints;
        double[] y = flip ? a.doubles : b.doubles;
        for (int i = 0; i < rows; i++) {
          int cmp = compareIntDouble(x[i], y[i]);
          out[i] = (byte) (test(op, flip ? -cmp : cmp) ? 1 : 0);
        }
      } else if (ta == Type.BOOL && tb == Type.BOOL) {
        for (int i = 0; i < rows; i++) {
          out[i] = (byte) (test(op, Integer.compare(a.bools[i], b.bools[i])) ? 1 : 0);
        }
      } else if (ta == Type.STRING && tb == Type.STRING && (op == Op.EQ || op == Op.NE)) {
        for (int i = 0; i < rows; i++) {
          if ((i & (CHECK_ROWS - 1)) == 0) {
            CancelToken.check();
          }
          boolean eq = Arrays.equals(a.text, a.start(i), a.end(i), b.text, b.start(i), b.end(i));
          out[i] = (byte) (eq == (op == Op.EQ) ? 1 : 0);
        }
      } else {
        throw new IllegalStateException("no columnar comparison for " + ta + " " + op + " " + tb);
      }
      return v;
    }
  }

  /** Arithmetic operators. */
  enum Arith { ADD, SUB, MUL, DIV, MOD }

  /** {@code a OP b} over two ints (overflow and division by zero are errors) or two doubles (IEEE). */
  static final class Arithmetic extends Node {
    private final Arith op;
    private final Node left;
    private final Node right;

    Arithmetic(Arith op, Node left, Node right) {
      super(left.type);
      this.op = op;
      this.left = left;
      this.right = right;
    }

    @Override
    Values evaluate(ChunkColumns c) {
      Values a = left.eval(c);
      Values b = right.eval(c);
      int rows = c.rows();
      Values v = new Values();
      if (type == Type.DOUBLE) {
        double[] x = a.doubles;
        double[] y = b.doubles;
        double[] out = new double[rows];
        switch (op) {
          case ADD -> { for (int i = 0; i < rows; i++) out[i] = x[i] + y[i]; }
          case SUB -> { for (int i = 0; i < rows; i++) out[i] = x[i] - y[i]; }
          case MUL -> { for (int i = 0; i < rows; i++) out[i] = x[i] * y[i]; }
          case DIV -> { for (int i = 0; i < rows; i++) out[i] = x[i] / y[i]; }
          default -> throw new IllegalStateException("no double " + op);
        }
        v.doubles = out;
        v.errors = mergeErrors(a.errors, b.errors, rows);
        return v;
      }
      long[] x = a.ints;
      long[] y = b.ints;
      long[] out = new long[rows];
      byte[] errors = errorsOf(mergeErrors(a.errors, b.errors, rows), rows);
      for (int i = 0; i < rows; i++) {
        long p = x[i];
        long q = y[i];
        switch (op) {
          case ADD -> {
            long r = p + q;
            if (((p ^ r) & (q ^ r)) < 0) {
              errors[i] = 1;
            }
            out[i] = r;
          }
          case SUB -> {
            long r = p - q;
            if (((p ^ q) & (p ^ r)) < 0) {
              errors[i] = 1;
            }
            out[i] = r;
          }
          case MUL -> {
            long hi = Math.multiplyHigh(p, q);
            long r = p * q;
            if ((hi != 0 || r < 0) && (hi != -1 || r >= 0)) {
              errors[i] = 1;
            }
            out[i] = r;
          }
          case DIV -> {
            if (q == 0 || (p == Long.MIN_VALUE && q == -1)) {
              errors[i] = 1;
            } else {
              out[i] = p / q;
            }
          }
          case MOD -> {
            if (q == 0) {
              errors[i] = 1;
            } else {
              out[i] = p % q;
            }
          }
        }
      }
      v.ints = out;
      v.errors = errors;
      return v;
    }
  }

  /** {@code -x}. */
  static final class Negate extends Node {
    private final Node child;

    Negate(Node child) {
      super(child.type);
      this.child = child;
    }

    @Override
    Values evaluate(ChunkColumns c) {
      Values x = child.eval(c);
      int rows = c.rows();
      Values v = new Values();
      if (type == Type.DOUBLE) {
        v.doubles = new double[rows];
        for (int i = 0; i < rows; i++) {
          v.doubles[i] = -x.doubles[i];
        }
        v.errors = x.errors;
        return v;
      }
      v.ints = new long[rows];
      byte[] errors = errorsOf(x.errors == null ? null : x.errors.clone(), rows);
      for (int i = 0; i < rows; i++) {
        if (x.ints[i] == Long.MIN_VALUE) {
          errors[i] = 1;
        }
        v.ints[i] = -x.ints[i];
      }
      v.errors = errors;
      return v;
    }
  }

  /** String tests with a literal argument. */
  enum StringTest { CONTAINS, STARTS_WITH, ENDS_WITH }

  /** {@code s.contains(lit)}, {@code s.startsWith(lit)}, {@code s.endsWith(lit)} on UTF-8 bytes. */
  static final class StringPredicate extends Node {
    private final StringTest test;
    private final Node receiver;
    private final byte[] needle;

    StringPredicate(StringTest test, Node receiver, String needle) {
      super(Type.BOOL);
      this.test = test;
      this.receiver = receiver;
      this.needle = needle.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    Values evaluate(ChunkColumns c) {
      Values s = receiver.eval(c);
      int rows = c.rows();
      Values v = new Values();
      v.bools = new byte[rows];
      v.errors = s.errors;
      int n = needle.length;
      for (int i = 0; i < rows; i++) {
        if ((i & (CHECK_ROWS - 1)) == 0) {
          CancelToken.check();
        }
        int from = s.start(i);
        int to = s.end(i);
        boolean hit = switch (test) {
          case STARTS_WITH -> to - from >= n && Arrays.equals(s.text, from, from + n, needle, 0, n);
          case ENDS_WITH -> to - from >= n && Arrays.equals(s.text, to - n, to, needle, 0, n);
          case CONTAINS -> indexOf(s.text, from, to, needle) >= 0;
        };
        v.bools[i] = (byte) (hit ? 1 : 0);
      }
      return v;
    }

    static int indexOf(byte[] data, int from, int to, byte[] needle) {
      int n = needle.length;
      if (n == 0) {
        return from;
      }
      byte first = needle[0];
      for (int i = from, last = to - n; i <= last; i++) {
        if (data[i] == first && Arrays.equals(data, i, i + n, needle, 0, n)) {
          return i;
        }
      }
      return -1;
    }
  }

  /**
   * {@code s.matches(lit)}: an RE2 search anywhere in the string, as CEL's partial match; on the lazy DFA
   * over the column's bytes when the pattern is within its syntax, else (or where its cache thrashes) RE2J,
   * reading each row through a {@link CountingText} that charges the chunk's {@link StepBudget} and checks
   * for cancellation.
   */
  static final class Matches extends Node {
    private final Node receiver;
    private final Pattern pattern;
    private final ByteRegex dfa;
    private final long weight;

    Matches(Node receiver, Pattern pattern) {
      super(Type.BOOL);
      this.receiver = receiver;
      this.pattern = pattern;
      this.dfa = ByteRegex.compile(pattern, false).orElse(null);
      this.weight = UnicodeRegex.programSize(pattern.pattern(), false, false, false).orElse((long) pattern.pattern().length());
    }

    @Override
    Values evaluate(ChunkColumns c) {
      Values s = receiver.eval(c);
      int rows = c.rows();
      Values v = new Values();
      v.bools = new byte[rows];
      v.errors = s.errors;
      int row = 0;
      if (dfa != null) {
        LazyDfa scan = dfa.acquire();
        try {
          for (; row < rows; row++) {
            if ((row & (CHECK_ROWS - 1)) == 0) {
              CancelToken.check();
            }
            int answer = scan.matches(s.text, s.start(row), s.end(row));
            if (answer == LazyDfa.GAVE_UP) {
              break;
            }
            v.bools[row] = (byte) answer;
          }
        } finally {
          dfa.release(scan);
        }
      }
      if (row < rows) {
        CountingText input = new CountingText(c.budget(), weight);
        var matcher = pattern.matcher("");
        for (; row < rows; row++) {
          int from = s.start(row);
          int to = s.end(row);
          matcher.reset(input.at(s.text, from, to, Utf8.isAscii(s.text, from, to)));
          v.bools[row] = (byte) (matcher.find() ? 1 : 0);
        }
      }
      return v;
    }
  }

  /** {@code size(s)}: the number of code points. */
  static final class StringSize extends Node {
    private final Node receiver;

    StringSize(Node receiver) {
      super(Type.INT);
      this.receiver = receiver;
    }

    @Override
    Values evaluate(ChunkColumns c) {
      Values s = receiver.eval(c);
      int rows = c.rows();
      Values v = new Values();
      v.ints = new long[rows];
      v.errors = s.errors;
      byte[] data = s.text;
      for (int i = 0; i < rows; i++) {
        if ((i & (CHECK_ROWS - 1)) == 0) {
          CancelToken.check();
        }
        v.ints[i] = codePoints(data, s.start(i), s.end(i));
      }
      return v;
    }

    /** Bytes that do not continue a multi-byte character (10xxxxxx), eight at a time. */
    static int codePoints(byte[] data, int from, int to) {
      int continuations = 0;
      int j = from;
      for (; j + 8 <= to; j += 8) {
        long w = (long) LONGS.get(data, j);
        // Bit 7 of each byte set where the byte's bit 7 is set and its bit 6 is clear.
        continuations += Long.bitCount(w & ~(w << 1) & 0x8080808080808080L);
      }
      for (; j < to; j++) {
        continuations += (data[j] & 0xC0) == 0x80 ? 1 : 0;
      }
      return to - from - continuations;
    }
  }

  /** {@code x in [literals]} for a string or int x. */
  static final class InSet extends Node {
    private final Node child;
    private final ByteStringSet strings;
    private final long[] ints;

    InSet(Node child, ByteStringSet strings, long[] sortedInts) {
      super(Type.BOOL);
      this.child = child;
      this.strings = strings;
      this.ints = sortedInts;
    }

    @Override
    Values evaluate(ChunkColumns c) {
      Values x = child.eval(c);
      int rows = c.rows();
      Values v = new Values();
      v.bools = new byte[rows];
      v.errors = x.errors;
      for (int i = 0; i < rows; i++) {
        if ((i & (CHECK_ROWS - 1)) == 0) {
          CancelToken.check();
        }
        boolean hit = strings != null
            ? strings.contains(x.text, x.start(i), x.end(i))
            : Arrays.binarySearch(ints, x.ints[i]) >= 0;
        v.bools[i] = (byte) (hit ? 1 : 0);
      }
      return v;
    }
  }
}
