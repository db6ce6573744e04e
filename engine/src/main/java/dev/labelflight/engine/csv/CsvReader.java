package dev.labelflight.engine.csv;

import dev.labelflight.engine.error.LabelFlightException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Reads CSV (RFC 4180: comma-separated, double quotes around fields holding commas, quotes or line breaks,
 * {@code ""} for a quote; LF or CRLF line ends; a UTF-8 byte-order mark is skipped; blank lines are skipped)
 * with a header row of column names, into Arrow batches. Column types come from the first
 * {@link Options#sampleRows} rows: {@code int64} if every value is an integer, else {@code float64} if every
 * value is a number ({@code nan}, {@code inf} included), else {@code bool} if every value is
 * {@code true}/{@code false}, else {@code utf8}; an empty field is null. A later value that does not fit its
 * column's type, a record with the wrong number of fields, an unterminated quote or a record over
 * {@link Options#maxRecordBytes} fails with INVALID_ARGUMENT naming the row (0-based data row), the column
 * and the value. Memory: one record, the sample (at most {@link Options#maxSampleBytes}) and one batch.
 * Not thread-safe; blocking on the stream.
 */
public final class CsvReader implements AutoCloseable {
  /** Batch size, rows sampled for types, longest record, most bytes kept while sampling. */
  public record Options(int batchRows, int sampleRows, int maxRecordBytes, long maxSampleBytes) {
    public static Options defaults() {
      return new Options(4096, 1000, 16 << 20, 8L << 20);
    }
  }

  /** The types a CSV column can get. */
  enum ColumnType { INT64, FLOAT64, BOOL, UTF8 }

  private static final int READ_BUFFER = 64 << 10;
  private static final int MAX_COLUMNS = 1024;

  private final InputStream in;
  private final BufferAllocator allocator;
  private final Options options;
  private final byte[] buffer = new byte[READ_BUFFER];
  private int position;
  private int limit;
  private boolean eof;
  private boolean started;

  /** The current record: its bytes and the end offset of each field. */
  private byte[] record = new byte[1024];
  private int recordLength;
  private int[] fieldEnds = new int[16];
  private int fields;

  private String[] header;
  private ColumnType[] types;
  private Schema schema;
  private final ArrayDeque<byte[][]> sample = new ArrayDeque<>();
  /** Data rows handed out so far (the next row's 0-based number). */
  private long row;

  public CsvReader(InputStream in, BufferAllocator allocator, Options options) {
    this.in = in;
    this.allocator = allocator;
    this.options = options;
  }

  /** The schema: reads the header and the sample on first call. */
  public Schema schema() {
    if (schema == null) {
      readHeaderAndSample();
    }
    return schema;
  }

  /** Rows read into batches so far. */
  public long rows() {
    return row;
  }

  /** The next batch (owned by the caller), or null at the end of the input. */
  public VectorSchemaRoot next() {
    schema();
    if (!hasRow()) {
      return null;
    }
    VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
    try {
      root.allocateNew();
      int n = 0;
      while (n < options.batchRows() && hasRow()) {
        if (!sample.isEmpty()) {
          byte[][] values = sample.poll();
          for (int c = 0; c < values.length; c++) {
            set(root.getVector(c), c, n, values[c], 0, values[c] == null ? 0 : values[c].length);
          }
        } else {
          pending = false;
          checkFieldCount(row);
          for (int c = 0; c < fields; c++) {
            int start = c == 0 ? 0 : fieldEnds[c - 1];
            int end = fieldEnds[c];
            set(root.getVector(c), c, n, end > start ? record : null, start, end - start);
          }
        }
        n++;
        row++;
      }
      root.setRowCount(n);
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  /** Whether another data row is there: in the sample, parsed and waiting, or parsed now. */
  private boolean hasRow() {
    if (!sample.isEmpty() || pending) {
      return true;
    }
    pending = readRecordRaw();
    return pending;
  }

  /** A record parsed by {@link #hasRow} and not yet put into a batch. */
  private boolean pending;

  @Override
  public void close() {
    sample.clear();
  }

  // ---- header, sample, types --------------------------------------------------------------------

  private void readHeaderAndSample() {
    if (!readRecordRaw()) {
      throw LabelFlightException.invalid("the CSV file is empty: it needs a header row of column names");
    }
    if (fields > MAX_COLUMNS) {
      throw LabelFlightException.invalid("the CSV header has " + fields + " columns; at most " + MAX_COLUMNS);
    }
    header = new String[fields];
    Set<String> seen = new HashSet<>();
    for (int c = 0; c < fields; c++) {
      int start = c == 0 ? 0 : fieldEnds[c - 1];
      String name = new String(record, start, fieldEnds[c] - start, StandardCharsets.UTF_8).strip();
      if (name.isEmpty()) {
        throw LabelFlightException.invalid("column " + (c + 1) + " of the CSV header has no name");
      }
      if (!seen.add(name)) {
        throw LabelFlightException.invalid("the CSV header names column '" + name + "' twice");
      }
      header[c] = name;
    }
    long bytes = 0;
    while (sample.size() < options.sampleRows() && bytes < options.maxSampleBytes() && readRecordRaw()) {
      checkFieldCount(row + sample.size());
      byte[][] values = new byte[fields][];
      for (int c = 0; c < fields; c++) {
        int start = c == 0 ? 0 : fieldEnds[c - 1];
        values[c] = fieldEnds[c] > start ? Arrays.copyOfRange(record, start, fieldEnds[c]) : null;
      }
      bytes += recordLength + 16L * fields;
      sample.add(values);
    }
    types = new ColumnType[header.length];
    List<Field> schemaFields = new ArrayList<>();
    for (int c = 0; c < header.length; c++) {
      types[c] = infer(c);
      schemaFields.add(new Field(header[c], FieldType.nullable(arrowType(types[c])), null));
    }
    schema = new Schema(schemaFields);
  }

  private ColumnType infer(int column) {
    boolean ints = true;
    boolean numbers = true;
    boolean bools = true;
    boolean any = false;
    for (byte[][] values : sample) {
      byte[] v = values[column];
      if (v == null) {
        continue;
      }
      any = true;
      ints &= parseLong(v, 0, v.length) != null;
      numbers &= parseDouble(v, 0, v.length) != null;
      bools &= parseBool(v, 0, v.length) != null;
    }
    return !any ? ColumnType.UTF8 : ints ? ColumnType.INT64 : numbers ? ColumnType.FLOAT64
        : bools ? ColumnType.BOOL : ColumnType.UTF8;
  }

  private static ArrowType arrowType(ColumnType type) {
    return switch (type) {
      case INT64 -> new ArrowType.Int(64, true);
      case FLOAT64 -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      case BOOL -> ArrowType.Bool.INSTANCE;
      case UTF8 -> ArrowType.Utf8.INSTANCE;
    };
  }

  private void set(FieldVector vector, int column, int index, byte[] bytes, int start, int length) {
    if (bytes == null) {
      vector.setNull(index);
      return;
    }
    switch (types[column]) {
      case UTF8 -> ((VarCharVector) vector).setSafe(index, bytes, start, length);
      case INT64 -> ((BigIntVector) vector).setSafe(index, checked(parseLong(bytes, start, length), column, bytes, start, length));
      case FLOAT64 -> ((Float8Vector) vector).setSafe(index, checked(parseDouble(bytes, start, length), column, bytes, start, length));
      case BOOL -> ((BitVector) vector).setSafe(index, checked(parseBool(bytes, start, length), column, bytes, start, length) ? 1 : 0);
    }
  }

  private <T> T checked(T value, int column, byte[] bytes, int start, int length) {
    if (value == null) {
      String text = new String(bytes, start, Math.min(length, 80), StandardCharsets.UTF_8);
      throw LabelFlightException.invalid("row " + row + ", column '" + header[column] + "': '" + text + "' is not "
          + describe(types[column]) + ", the type the column's first " + options.sampleRows() + " rows gave it"
          + " (make the column's values alike, or upload the data from Python with explicit types)")
          .withDetail(LabelFlightException.Detail.ROW, row).withDetail("column", header[column]);
    }
    return value;
  }

  private static String describe(ColumnType type) {
    return switch (type) {
      case INT64 -> "an integer";
      case FLOAT64 -> "a number";
      case BOOL -> "true or false";
      case UTF8 -> "text";
    };
  }

  static Long parseLong(byte[] b, int start, int length) {
    int i = start;
    int end = start + length;
    while (i < end && b[i] == ' ') {
      i++;
    }
    while (end > i && b[end - 1] == ' ') {
      end--;
    }
    if (i == end || end - i > 20) {
      return null;
    }
    boolean negative = b[i] == '-';
    if (b[i] == '-' || b[i] == '+') {
      i++;
    }
    if (i == end) {
      return null;
    }
    long value = 0;
    for (; i < end; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) {
        return null;
      }
      if (value < (Long.MIN_VALUE + d) / 10) {
        return null; // overflow
      }
      value = value * 10 - d;
    }
    if (!negative && value == Long.MIN_VALUE) {
      return null;
    }
    return negative ? value : -value;
  }

  static Double parseDouble(byte[] b, int start, int length) {
    if (length == 0 || length > 64) {
      return null;
    }
    String s = new String(b, start, length, StandardCharsets.US_ASCII).strip().toLowerCase(Locale.ROOT);
    switch (s) {
      case "nan" -> {
        return Double.NaN;
      }
      case "inf", "+inf", "infinity" -> {
        return Double.POSITIVE_INFINITY;
      }
      case "-inf", "-infinity" -> {
        return Double.NEGATIVE_INFINITY;
      }
      default -> { }
    }
    if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e')) {
      return null;
    }
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  static Boolean parseBool(byte[] b, int start, int length) {
    String s = new String(b, start, Math.min(length, 8), StandardCharsets.US_ASCII).strip().toLowerCase(Locale.ROOT);
    return length > 8 ? null : s.equals("true") ? Boolean.TRUE : s.equals("false") ? Boolean.FALSE : null;
  }

  // ---- records ----------------------------------------------------------------------------------

  private void checkFieldCount(long at) {
    if (fields != header.length) {
      throw LabelFlightException.invalid("row " + at + " has " + fields + " fields; the header has " + header.length
          + " columns").withDetail(LabelFlightException.Detail.ROW, at);
    }
  }

  /** Parses the next non-blank record; false at the end of the input. */
  private boolean readRecordRaw() {
    recordLength = 0;
    fields = 0;
    boolean quoted = false;
    boolean afterQuote = false;
    boolean fieldStarted = false;
    boolean any = false;
    if (!started) {
      started = true;
      skipByteOrderMark();
    }
    while (true) {
      int c = read();
      if (c < 0) {
        if (quoted) {
          throw LabelFlightException.invalid("row " + row + " (or the header) has a quoted field that never ends");
        }
        if (!any) {
          return false;
        }
        endField();
        return true;
      }
      any = true;
      if (quoted) {
        if (c == '"') {
          quoted = false;
          afterQuote = true;
        } else {
          append(c);
        }
        continue;
      }
      if (afterQuote && c == '"') {
        append('"'); // "" inside quotes
        quoted = true;
        afterQuote = false;
        continue;
      }
      switch (c) {
        case ',' -> {
          endField();
          fieldStarted = false;
          afterQuote = false;
        }
        case '\n' -> {
          if (fields == 0 && recordLength == 0 && !fieldStarted && !afterQuote) {
            any = false; // a blank line
            continue;
          }
          endField();
          return true;
        }
        case '\r' -> { }
        case '"' -> {
          if (!fieldStarted) {
            quoted = true;
            fieldStarted = true;
          } else {
            append(c); // a quote inside an unquoted field is kept as it is
          }
        }
        default -> {
          if (afterQuote) {
            throw LabelFlightException.invalid("row " + row + ": a quoted field goes on after its closing quote");
          }
          fieldStarted = true;
          append(c);
        }
      }
    }
  }

  private void skipByteOrderMark() {
    if (fill() && limit - position >= 3 && (buffer[position] & 0xff) == 0xEF && (buffer[position + 1] & 0xff) == 0xBB
        && (buffer[position + 2] & 0xff) == 0xBF) {
      position += 3;
    }
  }

  private void append(int c) {
    if (recordLength >= options.maxRecordBytes()) {
      throw LabelFlightException.invalid("row " + row + " is longer than " + options.maxRecordBytes() + " bytes")
          .withDetail(LabelFlightException.Detail.LIMIT, options.maxRecordBytes());
    }
    if (recordLength == record.length) {
      record = Arrays.copyOf(record, Math.min(options.maxRecordBytes(), record.length * 2));
    }
    record[recordLength++] = (byte) c;
  }

  private void endField() {
    if (fields == fieldEnds.length) {
      if (fields > MAX_COLUMNS) {
        throw LabelFlightException.invalid("row " + row + " has more than " + MAX_COLUMNS + " fields");
      }
      fieldEnds = Arrays.copyOf(fieldEnds, fields * 2);
    }
    fieldEnds[fields++] = recordLength;
  }

  private int read() {
    if (position == limit && !fill()) {
      return -1;
    }
    return buffer[position++] & 0xff;
  }

  private boolean fill() {
    if (position < limit) {
      return true;
    }
    if (eof) {
      return false;
    }
    try {
      int n = in.read(buffer, 0, buffer.length);
      if (n <= 0) {
        eof = n < 0;
        position = limit = 0;
        return !eof && fill();
      }
      position = 0;
      limit = n;
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the CSV upload: " + e.getMessage(), e);
    }
  }
}
