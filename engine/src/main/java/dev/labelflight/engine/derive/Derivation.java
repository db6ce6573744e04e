package dev.labelflight.engine.derive;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.TextColumn;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * What a derived column computes from a text column, one whole chunk at a time; a null source row gives
 * a null. Kinds: {@code lowercase} (utf8, as Python's {@code str.lower}), {@code length} (int32, code
 * points, as Python's {@code len}), {@code token_count} (int32, whitespace-separated tokens, as
 * {@code len(s.split())}) and {@code regex_extract} (utf8, the first capturing group of the first RE2J
 * match, or the whole match when the pattern has no group; null where nothing matches).
 */
public abstract sealed class Derivation {
  public static final List<String> KINDS = List.of("lowercase", "length", "token_count", "regex_extract");

  /** The kind's definition for a pattern ({@code regex_extract} only); INVALID_ARGUMENT if it makes no sense. */
  public static Derivation of(String kind, String pattern, int maxPatternLength) {
    if (kind == null || !KINDS.contains(kind)) {
      throw LabelFlightException.invalid("unknown derivation kind '" + kind + "' (known: " + String.join(", ", KINDS) + ")");
    }
    if (!kind.equals("regex_extract")) {
      if (pattern != null) {
        throw LabelFlightException.invalid("'pattern' is only for kind regex_extract, not " + kind);
      }
      return switch (kind) {
        case "lowercase" -> new Lowercase();
        case "length" -> new Length();
        default -> new TokenCount();
      };
    }
    if (pattern == null || pattern.isEmpty()) {
      throw LabelFlightException.invalid("kind regex_extract needs a non-empty 'pattern'");
    }
    if (pattern.length() > maxPatternLength) {
      throw LabelFlightException.invalid("'pattern' is longer than " + maxPatternLength + " characters");
    }
    try {
      return new RegexExtract(Pattern.compile(pattern));
    } catch (PatternSyntaxException e) {
      throw LabelFlightException.invalid("invalid regex in 'pattern': " + e.getMessage());
    } catch (StackOverflowError e) {
      throw LabelFlightException.invalid("'pattern' is too deeply nested");
    }
  }

  /** The type of the column this derivation produces. */
  public abstract ArrowType type();

  /** The output column over one chunk's source text, in {@code allocator}; owned by the caller. */
  public abstract FieldVector compute(String name, TextColumn source, BufferAllocator allocator);

  Field field(String name) {
    return new Field(name, FieldType.nullable(type()), null);
  }

  /** Derivations that yield text: fill {@code out} with each non-null row's bytes. */
  abstract static sealed class ToText extends Derivation {
    @Override
    public ArrowType type() {
      return new ArrowType.Utf8();
    }

    /** Appends the row's output to {@code out}; false for a null output. */
    abstract boolean row(byte[] data, int from, int to, Bytes out);

    @Override
    public FieldVector compute(String name, TextColumn source, BufferAllocator allocator) {
      int rows = source.rows();
      Bytes out = new Bytes(source.data.length);
      int[] offsets = new int[rows + 1];
      boolean[] valid = new boolean[rows];
      for (int i = 0; i < rows; i++) {
        if (!source.isNull(i)) {
          valid[i] = row(source.data, source.offsets[i], source.offsets[i + 1], out);
        }
        offsets[i + 1] = out.size;
      }
      VarCharVector vector = new VarCharVector(field(name), allocator);
      try {
        vector.allocateNew(Math.max(1, out.size), Math.max(1, rows));
        ArrowBuf offsetBuffer = vector.getOffsetBuffer();
        for (int i = 0; i <= rows; i++) {
          offsetBuffer.setInt((long) i * Integer.BYTES, offsets[i]);
        }
        vector.getDataBuffer().setBytes(0, out.data, 0, out.size);
        setValidity(vector.getValidityBuffer(), valid);
        vector.setLastSet(rows - 1);
        vector.setValueCount(rows);
        return vector;
      } catch (RuntimeException e) {
        vector.close();
        throw e;
      }
    }
  }

  /** Derivations that yield an int32 per row. */
  abstract static sealed class ToInt extends Derivation {
    @Override
    public ArrowType type() {
      return new ArrowType.Int(32, true);
    }

    abstract int row(byte[] data, int from, int to);

    @Override
    public FieldVector compute(String name, TextColumn source, BufferAllocator allocator) {
      int rows = source.rows();
      boolean[] valid = new boolean[rows];
      IntVector vector = new IntVector(field(name), allocator);
      try {
        vector.allocateNew(Math.max(1, rows));
        ArrowBuf data = vector.getDataBuffer();
        for (int i = 0; i < rows; i++) {
          if (!source.isNull(i)) {
            valid[i] = true;
            data.setInt((long) i * Integer.BYTES, row(source.data, source.offsets[i], source.offsets[i + 1]));
          }
        }
        setValidity(vector.getValidityBuffer(), valid);
        vector.setValueCount(rows);
        return vector;
      } catch (RuntimeException e) {
        vector.close();
        throw e;
      }
    }
  }

  private static void setValidity(ArrowBuf validity, boolean[] valid) {
    validity.setZero(0, validity.capacity());
    for (int i = 0; i < valid.length; i++) {
      if (valid[i]) {
        BitVectorHelper.setBit(validity, i);
      }
    }
  }

  /** {@code str.lower()}: ASCII rows in place, others through {@link String#toLowerCase(Locale)}. */
  static final class Lowercase extends ToText {
    @Override
    boolean row(byte[] data, int from, int to, Bytes out) {
      boolean ascii = true;
      for (int k = from; k < to && ascii; k++) {
        ascii = data[k] >= 0;
      }
      if (ascii) {
        out.ensure(to - from);
        for (int k = from; k < to; k++) {
          byte b = data[k];
          out.data[out.size++] = b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
        }
      } else {
        byte[] lower = new String(data, from, to - from, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT)
            .getBytes(StandardCharsets.UTF_8);
        out.append(lower, 0, lower.length);
      }
      return true;
    }
  }

  /** The first capturing group (or the whole match) of the first match; null without a match. */
  static final class RegexExtract extends ToText {
    private final Pattern pattern;

    RegexExtract(Pattern pattern) {
      this.pattern = pattern;
    }

    @Override
    boolean row(byte[] data, int from, int to, Bytes out) {
      // RE2J matches a whole byte array; its offsets are byte offsets into it.
      Matcher m = pattern.matcher(Arrays.copyOfRange(data, from, to));
      if (!m.find()) {
        return false;
      }
      int group = pattern.groupCount() > 0 ? 1 : 0;
      int start = m.start(group);
      if (start < 0) {
        return false; // an optional group that did not take part in the match
      }
      out.append(data, from + start, m.end(group) - start);
      return true;
    }
  }

  /** {@code len(s)}: code points, i.e. bytes that do not continue a UTF-8 sequence. */
  static final class Length extends ToInt {
    @Override
    int row(byte[] data, int from, int to) {
      int n = 0;
      for (int k = from; k < to; k++) {
        n += (data[k] & 0xC0) != 0x80 ? 1 : 0;
      }
      return n;
    }
  }

  /** {@code len(s.split())}: runs of non-whitespace, with Python's whitespace (ASCII and Unicode). */
  static final class TokenCount extends ToInt {
    @Override
    int row(byte[] data, int from, int to) {
      int tokens = 0;
      boolean inToken = false;
      int k = from;
      while (k < to) {
        int b = data[k] & 0xFF;
        int cp;
        int width;
        if (b < 0x80) {
          cp = b;
          width = 1;
        } else if (b >= 0xF0) {
          cp = Integer.MAX_VALUE; // 4-byte sequences hold no whitespace
          width = 4;
        } else if (b >= 0xE0) {
          cp = k + 2 < to ? ((b & 0x0F) << 12) | ((data[k + 1] & 0x3F) << 6) | (data[k + 2] & 0x3F) : Integer.MAX_VALUE;
          width = 3;
        } else {
          cp = k + 1 < to ? ((b & 0x1F) << 6) | (data[k + 1] & 0x3F) : Integer.MAX_VALUE;
          width = 2;
        }
        boolean space = isSpace(cp);
        if (!space && !inToken) {
          tokens++;
        }
        inToken = !space;
        k += width;
      }
      return tokens;
    }

    /** Python's {@code str.isspace} code points. */
    static boolean isSpace(int cp) {
      return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0
          || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
          || cp == 0x205F || cp == 0x3000;
    }
  }

  /** A growable byte array. */
  static final class Bytes {
    byte[] data;
    int size;

    Bytes(int capacity) {
      data = new byte[Math.max(16, capacity)];
    }

    void ensure(int more) {
      if (size + more > data.length) {
        data = Arrays.copyOf(data, Math.max(size + more, data.length * 2));
      }
    }

    void append(byte[] from, int offset, int length) {
      ensure(length);
      System.arraycopy(from, offset, data, size, length);
      size += length;
    }
  }
}
