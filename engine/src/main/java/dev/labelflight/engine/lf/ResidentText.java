package dev.labelflight.engine.lf;

import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The text columns of one resident chunk, copied once and kept (with their {@link TextSignatures} and
 * {@link WordIndex}) for every job over the chunk instead of being copied per job. A column is copied and
 * indexed on first use by an LF, on the thread evaluating the chunk (a resident pool thread, never an
 * event loop): the memory is already reserved when the chunk loads ({@link #bytesPerRow}, and twice the
 * chunk's bytes for text and word index, count in the resident estimate), so building lazily risks
 * nothing on the budget, keeps loads as fast as reading the chunks, and spends no CPU on columns no LF
 * reads. The copies live on the heap, so each also takes its bytes from a {@link HeapAllowance}; a column
 * that does not fit there is not kept (its jobs copy it per chunk). Thread-safe.
 */
public final class ResidentText {
  private final Map<ValueVector, Boolean> own = new IdentityHashMap<>();
  private final Map<ValueVector, TextColumn> kept = new IdentityHashMap<>();
  private final HeapAllowance heap;
  private long reserved;
  private boolean closed;

  /** Columns of {@code chunk} (which must outlive this), kept within {@code heap}. */
  public ResidentText(VectorSchemaRoot chunk, HeapAllowance heap) {
    this.heap = heap;
    for (FieldVector v : chunk.getFieldVectors()) {
      if (v instanceof VarCharVector || v instanceof LargeVarCharVector) {
        own.put(v, Boolean.TRUE);
      }
    }
  }

  /**
   * The kept copy of {@code vector}, made now if needed; null if it is not a text column of this chunk, or
   * if the heap allowance has no room for it, or after {@link #close}.
   */
  synchronized TextColumn column(ValueVector vector) {
    if (!own.containsKey(vector)) {
      return null;
    }
    TextColumn column = kept.get(vector);
    if (column == null && !closed) {
      long bytes = 2 * TextColumn.textBytes(vector) + (vector.getValueCount() + 1L) * bytesPerRow();
      if (!heap.tryReserve(bytes)) {
        return null;
      }
      reserved += bytes;
      column = TextColumn.keep(vector);
      kept.put(vector, column);
    }
    return column;
  }

  /** Drops the kept columns and gives their heap allowance back; later jobs copy per chunk. */
  public synchronized void close() {
    closed = true;
    kept.clear();
    heap.free(reserved);
    reserved = 0;
  }

  /** Heap bytes the columns kept so far hold (text, offsets, signatures and word indexes built). */
  public synchronized long bytes() {
    long total = 0;
    for (TextColumn c : kept.values()) {
      total += c.heapBytes();
    }
    return total;
  }

  /**
   * Heap bytes per row a kept text column may take besides its text and word index (offsets and
   * signatures); the text is at most the chunk's bytes, and so is the word index (its build gives up
   * beyond its column's text size).
   */
  public static long bytesPerRow() {
    return Integer.BYTES + TextSignatures.BYTES_PER_ROW;
  }

  /** The text (utf8, large_utf8) columns of {@code schema} at top level, which a resident copy may keep. */
  public static int textColumns(Schema schema) {
    int n = 0;
    for (Field f : schema.getFields()) {
      ArrowType.ArrowTypeID id = f.getType().getTypeID();
      if (id == ArrowType.ArrowTypeID.Utf8 || id == ArrowType.ArrowTypeID.LargeUtf8) {
        n++;
      }
    }
    return n;
  }
}
