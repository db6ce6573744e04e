package dev.labelflight.verticles.lending;

import dev.labelflight.engine.error.CorruptDataException;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A chunk's label columns as they travel between nodes: one Arrow record batch of int8 columns (one per
 * LF, in job order, as the label cache stores them), in the Arrow IPC stream format, written into and read
 * from a Vert.x {@link Buffer} (a binary bus message). Bulk data never goes inside JSON; the size of a
 * chunk's labels (rows x LFs bytes) is bounded only by the chunk, not by a JSON parser's string limit.
 */
public final class LabelColumns {
  private LabelColumns() {}

  /** Appends {@code columns} ({@code rows} bytes each) to {@code out} as one Arrow IPC stream. */
  public static void write(byte[][] columns, int rows, BufferAllocator allocator, Buffer out) {
    List<Field> fields = new ArrayList<>(columns.length);
    for (int i = 0; i < columns.length; i++) {
      fields.add(new Field("lf" + i, FieldType.notNullable(new ArrowType.Int(8, true)), null));
    }
    try (VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(fields), allocator)) {
      for (int i = 0; i < columns.length; i++) {
        if (columns[i].length != rows) {
          throw new IllegalArgumentException("label column " + i + " has " + columns[i].length + " rows, not " + rows);
        }
        TinyIntVector vector = (TinyIntVector) root.getVector(i);
        vector.allocateNew(rows);
        vector.getDataBuffer().setBytes(0, columns[i]);
        vector.getValidityBuffer().setOne(0L, (rows + 7L) / 8);
        vector.setValueCount(rows);
      }
      root.setRowCount(rows);
      try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(new BufferOutput(out)))) {
        writer.start();
        writer.writeBatch();
        writer.end();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads the label columns back: exactly {@code lfs} int8 columns of {@code rows} rows, else a
   * {@link CorruptDataException} (the sender's labels are not used; the chunk runs again).
   */
  public static byte[][] read(Buffer in, int lfs, int rows, BufferAllocator allocator) {
    try (ArrowStreamReader reader = new ArrowStreamReader(new BufferInput(in), allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      if (root.getFieldVectors().size() != lfs) {
        throw new CorruptDataException("label columns: " + root.getFieldVectors().size() + " columns, expected " + lfs);
      }
      if (!reader.loadNextBatch() || root.getRowCount() != rows) {
        throw new CorruptDataException("label columns: expected one batch of " + rows + " rows");
      }
      byte[][] columns = new byte[lfs][rows];
      for (int i = 0; i < lfs; i++) {
        if (!(root.getVector(i) instanceof TinyIntVector vector)) {
          throw new CorruptDataException("label column " + i + " is not int8");
        }
        vector.getDataBuffer().getBytes(0, columns[i], 0, rows);
      }
      return columns;
    } catch (IOException e) {
      throw new CorruptDataException("label columns are not a readable Arrow stream: " + e.getMessage());
    }
  }

  /** Appends what Arrow writes to a Vert.x buffer. */
  private static final class BufferOutput extends OutputStream {
    private final Buffer out;

    BufferOutput(Buffer out) {
      this.out = out;
    }

    @Override
    public void write(int b) {
      out.appendByte((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      out.appendBytes(b, off, len);
    }
  }

  /** Reads a Vert.x buffer from its start. */
  private static final class BufferInput extends InputStream {
    private final Buffer in;
    private int position;

    BufferInput(Buffer in) {
      this.in = in;
    }

    @Override
    public int read() {
      return position < in.length() ? in.getByte(position++) & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (position >= in.length()) {
        return -1;
      }
      int n = Math.min(len, in.length() - position);
      in.getBytes(position, position + n, b, off);
      position += n;
      return n;
    }

    @Override
    public int available() {
      return in.length() - position;
    }
  }
}
