package dev.labelflight.engine.labelmatrix;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.BitSet;

/**
 * A row selection as one bit per row of the job ({@code rows / 8} bytes on the heap): what a client uploads
 * as an Arrow column of row ids when its subset has too many runs for JSON ranges. Stored beside the job's
 * labels as a little-endian file: the row count, then the bitmap's words.
 */
public final class RowBitmap implements RowSelection {
  private final BitSet bits;
  private final long rows;

  private RowBitmap(BitSet bits, long rows) {
    this.bits = bits;
    this.rows = rows;
  }

  /** An empty selection over a job of {@code rows} rows; INVALID_ARGUMENT past 2^31 - 1 rows. */
  public static RowBitmap empty(long rows) {
    if (rows > Integer.MAX_VALUE) {
      throw LabelFlightException.invalid("a row selection covers at most " + Integer.MAX_VALUE + " rows; the job has "
          + rows);
    }
    return new RowBitmap(new BitSet((int) rows), rows);
  }

  /** Selects {@code row}; INVALID_ARGUMENT outside the job's rows. */
  public void add(long row) {
    if (row < 0 || row >= rows) {
      throw LabelFlightException.invalid("row id " + row + " is outside the job's " + rows + " rows")
          .withDetail(LabelFlightException.Detail.ROW, row);
    }
    bits.set((int) row);
  }

  @Override
  public long count() {
    return bits.cardinality();
  }

  /** Rows of the job this selection is over. */
  public long rows() {
    return rows;
  }

  @Override
  public void forEachRun(long firstRow, int length, RunConsumer consumer) throws Exception {
    int end = (int) Math.min(rows, firstRow + length);
    int from = bits.nextSetBit((int) firstRow);
    while (from >= 0 && from < end) {
      int to = Math.min(end, bits.nextClearBit(from));
      consumer.accept((int) (from - firstRow), to - from);
      from = bits.nextSetBit(to);
    }
  }

  /** Writes the selection to {@code file} atomically. */
  public void write(Path file) throws IOException {
    long[] words = bits.toLongArray();
    ByteBuffer out = ByteBuffer.allocate(8 + 8 * words.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(rows);
    for (long w : words) {
      out.putLong(w);
    }
    Files.createDirectories(file.getParent());
    AtomicFiles.write(file, out.array());
  }

  /** The selection in {@code file}, checked against the job's {@code rows}; NOT_FOUND if there is none. */
  public static RowBitmap read(Path file, String id, long rows) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw LabelFlightException.notFound("row selection '" + id + "' not found (upload it to [\"selections\", JOB])");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < 8 || (bytes.length - 8) % 8 != 0 || in.getLong() != rows) {
      throw LabelFlightException.invalid("row selection '" + id + "' does not belong to this job");
    }
    long[] words = new long[(bytes.length - 8) / 8];
    for (int i = 0; i < words.length; i++) {
      words[i] = in.getLong();
    }
    return new RowBitmap(BitSet.valueOf(words), rows);
  }
}
