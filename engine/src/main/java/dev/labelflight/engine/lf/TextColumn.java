package dev.labelflight.engine.lf;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarCharVector;

/**
 * A utf8 or large_utf8 column as one byte array plus row offsets, copied once per chunk so that the
 * matchers' inner loops index plain arrays instead of bounds-checked Arrow buffers. A copy of a resident
 * chunk's column is kept for every job ({@link ResidentText}) and carries skip indexes ({@link TextSignatures},
 * {@link WordIndex}), built before it is kept; other copies are made per evaluation and dropped.
 */
public final class TextColumn {
  public final byte[] data;
  public final int[] offsets;
  private final ValueVector vector;
  /** Set (with {@link #words}) when the copy is kept: built before it is published, never on a job's thread. */
  private final TextSignatures signatures;
  private final WordIndex words;

  private TextColumn(byte[] data, int[] offsets, ValueVector vector) {
    this.data = data;
    this.offsets = offsets;
    this.vector = vector;
    this.signatures = null;
    this.words = null;
  }

  private TextColumn(TextColumn copy, TextSignatures signatures, WordIndex words) {
    this.data = copy.data;
    this.offsets = copy.offsets;
    this.vector = copy.vector;
    this.signatures = signatures;
    this.words = words;
  }

  /** What a chunk's evaluation shares: copies made for it, and the kept columns of a resident chunk (or null). */
  private record Shared(java.util.Map<ValueVector, TextColumn> copies, ResidentText kept) {}

  private static final ThreadLocal<Shared> SHARED = new ThreadLocal<>();

  /**
   * Runs {@code work} (one chunk's evaluation) with text copies shared between the evaluators it calls
   * on this thread; the copies are dropped when it returns.
   */
  static <T> T sharing(java.util.function.Supplier<T> work) {
    return sharing(null, work);
  }

  /** As {@link #sharing(java.util.function.Supplier)}, reading {@code kept}'s columns instead of copying them. */
  static <T> T sharing(ResidentText kept, java.util.function.Supplier<T> work) {
    if (SHARED.get() != null) {
      return work.get();
    }
    SHARED.set(new Shared(new java.util.IdentityHashMap<>(), kept));
    try {
      return work.get();
    } finally {
      SHARED.remove();
    }
  }

  /**
   * The column's bytes and offsets (rebased to 0): the kept copy of a resident chunk's column, the copy
   * already made for this chunk, or a new copy.
   */
  public static TextColumn of(ValueVector vector) {
    Shared shared = SHARED.get();
    if (shared == null) {
      return copy(vector);
    }
    // One answer per column for the whole evaluation: the kept copy if it is ready now, else one copy.
    return shared.copies().computeIfAbsent(vector, v -> {
      TextColumn kept = shared.kept() == null ? null : shared.kept().column(v);
      return kept != null ? kept : copy(v);
    });
  }

  /** A copy to keep with a resident chunk for every job, with its indexes (see {@link #keep(ValueVector, Runnable)}). */
  static TextColumn keep(ValueVector vector) {
    return keep(vector, () -> { });
  }

  /**
   * A copy to keep with a resident chunk for every job, with its row signatures and word index built now, on the calling thread (a resident copy's background builder: {@link ResidentText}).
   * {@code pause} is called every few thousand rows of the build, where the caller may wait while jobs
   * need the cores; the bound {@link dev.labelflight.engine.cancel.CancelToken} is checked as often.
   */
  static TextColumn keep(ValueVector vector, Runnable pause) {
    TextColumn c = copy(vector);
    pause.run();
    TextSignatures signatures = TextSignatures.of(c, pause);
    WordIndex words = WordIndex.of(c, pause);
    return new TextColumn(c, signatures, words);
  }

  /**
   * The row signatures of a kept column; null for a per-evaluation copy (scanned once, it would not repay
   * building them), which is also what a job reads while a resident chunk's copy is still being built.
   */
  TextSignatures signatures() {
    return signatures;
  }

  /**
   * The word index of a kept column; null for a per-evaluation copy, or when the index would outgrow its
   * budget (then matchers scan the rows the signatures allow).
   */
  WordIndex words() {
    return words;
  }

  /** Heap bytes of this copy and its indexes. */
  long heapBytes() {
    return data.length + 4L * offsets.length + (signatures == null ? 0 : signatures.bytes())
        + (words == null ? 0 : words.bytes());
  }

  /** Bytes of text in a utf8 or large_utf8 vector (what a copy's {@link #data} holds). */
  static long textBytes(ValueVector vector) {
    int rows = vector.getValueCount();
    if (rows == 0) {
      return 0;
    }
    ArrowBuf offsets = vector.getOffsetBuffer();
    if (vector instanceof LargeVarCharVector) {
      return offsets.getLong((long) rows * 8) - offsets.getLong(0);
    }
    return offsets.getInt((long) rows * 4) - offsets.getInt(0);
  }

  private static TextColumn copy(ValueVector vector) {
    int rows = vector.getValueCount();
    int[] offsets = new int[rows + 1];
    ArrowBuf offsetBuffer = vector.getOffsetBuffer();
    long base;
    long end;
    if (vector instanceof VarCharVector) {
      base = rows == 0 ? 0 : offsetBuffer.getInt(0);
      for (int i = 0; i <= rows && rows > 0; i++) {
        offsets[i] = (int) (offsetBuffer.getInt((long) i * 4) - base);
      }
      end = rows == 0 ? 0 : offsetBuffer.getInt((long) rows * 4);
    } else if (vector instanceof LargeVarCharVector) {
      base = rows == 0 ? 0 : offsetBuffer.getLong(0);
      for (int i = 0; i <= rows && rows > 0; i++) {
        offsets[i] = Math.toIntExact(offsetBuffer.getLong((long) i * 8) - base);
      }
      end = rows == 0 ? 0 : offsetBuffer.getLong((long) rows * 8);
    } else {
      throw new IllegalArgumentException("not a text vector: " + vector.getField());
    }
    byte[] data = new byte[Math.toIntExact(end - base)];
    if (data.length > 0) {
      vector.getDataBuffer().getBytes(base, data, 0, data.length);
    }
    return new TextColumn(data, offsets, vector);
  }

  public boolean isNull(int row) {
    return vector.isNull(row);
  }

  public int rows() {
    return offsets.length - 1;
  }
}
