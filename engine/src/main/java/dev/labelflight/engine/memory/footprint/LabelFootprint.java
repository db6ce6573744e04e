package dev.labelflight.engine.memory.footprint;

import dev.labelflight.engine.cache.LabelCache;

/** Bytes of the label side of one chunk: label arrays, candidate bits and the label cache's segments. */
public final class LabelFootprint {
  private LabelFootprint() {}

  /**
   * The label side of one chunk of {@code rows} rows and {@code lfCount} LFs, linear in the LF count: per
   * row and LF one heap byte of the columns read from the cache and one of those computed (the evaluators
   * write them, the cache segments are written from them, no other copy); per row and regex LF one
   * candidate bit; plus one cache segment decoded or built at a time, which holds up to
   * {@link LabelCache#SEGMENT_COLUMNS} columns whatever the job's LF count (int8 data plus a validity bitmap
   * each, rounded up by the allocator to a power of two, and its serialized bytes); plus fixed overhead.
   */
  public static long chunk(int rows, int lfCount) {
    long paddedRows = rows <= 1 ? 1 : Long.highestOneBit(rows - 1) << 1;
    // A segment's record-batch body is read as one buffer, which the allocator rounds up to a power of two.
    long body = LabelCache.SEGMENT_COLUMNS * (paddedRows + paddedRows / 8 + 64);
    long segment = Long.highestOneBit(body - 1) << 1;
    return (long) rows * (2L * lfCount + lfCount / 8 + 16) + 3 * segment + (2 << 20);
  }
}
