package dev.labelflight.engine.memory.footprint;

import dev.labelflight.engine.cache.LabelCache;

/** Bytes of the label side of one chunk: label arrays, candidate bits and the label cache's segments. */
public final class LabelFootprint {
  private LabelFootprint() {}

  /**
   * The label side of one chunk of {@code rows} rows and {@code lfCount} LFs, linear in the LF count: per
   * row and LF one heap byte of the columns read from the cache and one of those computed (the evaluators
   * write them, the cache segments are written from them, no other copy); per row and regex LF one
   * candidate bit; plus two cache {@link #segment}s whatever the job's LF count (a segment holds columns of
   * other jobs too): segments are read and built one at a time, but compacting holds the columns it merged
   * so far (up to a segment's worth, on the heap) while it reads or builds the next; plus fixed overhead
   * (16 bytes a row and 2 MiB).
   */
  public static long chunk(int rows, int lfCount) {
    return (long) rows * (2L * lfCount + lfCount / 8 + 16) + 2 * segment(rows) + (2 << 20);
  }

  /**
   * Writing one chunk's columns into the label cache ({@code LabelCache.write}): a segment built while the one
   * it merges with is read, two {@link #segment}s.
   */
  public static long cacheWrite(int rows) {
    return 2 * segment(rows);
  }

  /**
   * One label-cache segment of {@link LabelCache#SEGMENT_COLUMNS} int8 columns over {@code rows} rows, the
   * larger of: as read (the file on the heap, then its record-batch body decoded as one buffer, which the
   * allocator rounds up to a power of two) and as built (each column's data and validity in one buffer,
   * rounded up the same way).
   */
  static long segment(int rows) {
    long validity = (rows + 7) / 8;
    long file = LabelCache.SEGMENT_COLUMNS * (align8(rows) + align8(validity)) + 4096;
    long read = file + powerOfTwo(file);
    long built = LabelCache.SEGMENT_COLUMNS * powerOfTwo(rows + validity + 16);
    return Math.max(read, built);
  }

  private static long align8(long bytes) {
    return (bytes + 7) & ~7L;
  }

  static long powerOfTwo(long bytes) {
    return bytes <= 1 ? 1 : Long.highestOneBit(bytes - 1) << 1;
  }
}
