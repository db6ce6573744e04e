package dev.labelflight.engine.lf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * {@link WordIndex}) for every job over the chunk instead of being copied per job.
 *
 * <p>Built off the jobs' critical path: the resident copy's background builder calls {@link #buildNext}
 * after the chunks are loaded, one column at a time (columns a job has asked for first); a column is
 * published to jobs only once its copy and indexes are complete. Until then {@link #column} answers null
 * and a job neither waits nor builds: its matchers copy the column per evaluation and scan without
 * indexes, exactly as on the task queue (same labels, see {@code ResidentTextTest}). So a first apply
 * after load costs what the queue path costs, and later jobs read the kept, indexed copy.
 *
 * <p>Memory: the resident estimate already counts, per text column, twice the chunk's bytes (text and word
 * index) and {@link #bytesPerRow} (offsets, signatures, bitmap), so building in the background risks
 * nothing on the budget. The copies live on the heap, so each column also takes those bytes from a
 * {@link HeapAllowance} before its build starts (all or nothing); a column that does not fit is not kept
 * (its jobs copy it per chunk). {@link #close} gives every byte back, including those of a build under
 * way, which then publishes nothing. Thread-safe.
 */
public final class ResidentText {
  private final Set<ValueVector> own = Collections.newSetFromMap(new IdentityHashMap<>());
  /** Text columns not built yet (nor given up), in schema order. */
  private final List<ValueVector> pending = new ArrayList<>();
  /** Pending columns a job has asked for: built first. */
  private final Set<ValueVector> wanted = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Map<ValueVector, TextColumn> kept = new IdentityHashMap<>();
  private final HeapAllowance heap;
  private long reserved;
  private boolean closed;

  /** Columns of {@code chunk} (which must outlive this), kept within {@code heap} once {@link #buildNext built}. */
  public ResidentText(VectorSchemaRoot chunk, HeapAllowance heap) {
    this.heap = heap;
    for (FieldVector v : chunk.getFieldVectors()) {
      if (v instanceof VarCharVector || v instanceof LargeVarCharVector) {
        own.add(v);
        pending.add(v);
      }
    }
  }

  /**
   * The kept copy of {@code vector} if it is built; null if it is not a text column of this chunk, not
   * built yet (it is then built next), not kept (no room in the heap allowance), or after {@link #close}.
   * Never builds anything.
   */
  synchronized TextColumn column(ValueVector vector) {
    TextColumn column = kept.get(vector);
    if (column == null && !closed && own.contains(vector) && isPending(vector)) {
      wanted.add(vector);
    }
    return column;
  }

  /** Whether some column a job asked for is still to be built. */
  public synchronized boolean wanted() {
    return !closed && !wanted.isEmpty();
  }

  /** Whether every text column is built or given up (or this is closed): {@link #buildNext} has nothing left. */
  public synchronized boolean built() {
    return closed || pending.isEmpty();
  }

  /**
   * Copies and indexes one column not built yet (one a job asked for, if any) on the calling thread: a
   * background builder's, with the copy's {@link dev.labelflight.engine.cancel.CancelToken} bound, which
   * the build checks every few thousand rows (when cancelled it unwinds, publishing nothing and giving its
   * bytes back). {@code pause} is called as often: the builder may wait there while jobs need the cores.
   * Returns false when nothing is left to build or after {@link #close}.
   */
  public boolean buildNext(Runnable pause) {
    ValueVector vector;
    long bytes;
    synchronized (this) {
      if (closed || pending.isEmpty()) {
        return false;
      }
      vector = pending.get(0);
      for (ValueVector v : pending) {
        if (wanted.contains(v)) {
          vector = v;
          break;
        }
      }
      bytes = 2 * TextColumn.textBytes(vector) + (vector.getValueCount() + 1L) * bytesPerRow();
      if (!heap.tryReserve(bytes)) {
        // No room: this column is not kept, its jobs copy it per chunk (as on the queue).
        giveUp(vector);
        return true;
      }
      reserved += bytes;
    }
    TextColumn column = null;
    try {
      column = TextColumn.keep(vector, pause);
      return true;
    } finally {
      synchronized (this) {
        if (!closed) {
          giveUp(vector);
          if (column != null) {
            kept.put(vector, column);
          } else {
            // The build failed or was cancelled: no bytes held for it, and it is not tried again.
            heap.free(bytes);
            reserved -= bytes;
          }
        }
        // Once closed, close() gave every reserved byte back, this build's included.
      }
    }
  }

  private boolean isPending(ValueVector vector) {
    for (ValueVector v : pending) {
      if (v == vector) {
        return true;
      }
    }
    return false;
  }

  private void giveUp(ValueVector vector) {
    pending.removeIf(v -> v == vector);
    wanted.remove(vector);
  }

  /** Drops the kept columns and gives their heap allowance back; later jobs copy per chunk. */
  public synchronized void close() {
    closed = true;
    kept.clear();
    pending.clear();
    wanted.clear();
    heap.free(reserved);
    reserved = 0;
  }

  /** Heap bytes the columns kept so far hold (text, offsets, signatures, word indexes, bitmaps). */
  public synchronized long bytes() {
    long total = 0;
    for (TextColumn c : kept.values()) {
      total += c.heapBytes();
    }
    return total;
  }

  /**
   * Heap bytes per row a kept text column may take besides its text and word index: offsets and
   * signatures; the text is at most the chunk's bytes, and so is
   * the word index (its build gives up beyond its column's text size).
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
