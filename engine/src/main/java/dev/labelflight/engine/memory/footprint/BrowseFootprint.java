package dev.labelflight.engine.memory.footprint;

import dev.labelflight.engine.derive.DerivedColumn;
import dev.labelflight.engine.store.Manifest;
import java.util.List;

/** Bytes a browse request holds while it reads: a page of rows, or a scan of a job's label files. */
public final class BrowseFootprint {
  private BrowseFootprint() {}

  /**
   * A page of rows over {@code chunks}: the largest of them decoded ({@link ChunkFootprint#decoded}; they
   * are read one at a time, each closed before the next) with its derived columns
   * ({@link DerivedFootprint#reading}), plus fixed overhead, which also covers the page's JSON (heap,
   * bounded by the page's row limit).
   */
  public static long page(Manifest manifest, List<Integer> chunks, List<DerivedColumn> derived) {
    long largest = 0;
    for (int index : chunks) {
      largest = Math.max(largest, ChunkFootprint.decoded(manifest.chunk(index)) + DerivedFootprint.reading(derived, index));
    }
    return (1 << 20) + largest;
  }

  /**
   * A scan of a job's results one chunk at a time (examples, coverage): the largest chunk's label file
   * and dataset chunk decoded together ({@code largestChunkBytes} is their summed file size), each at most
   * twice its file, plus fixed overhead.
   */
  public static long labelScan(long largestChunkBytes) {
    return 2 * largestChunkBytes + (1 << 20);
  }
}
