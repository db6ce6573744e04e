package dev.labelflight.engine.memory.footprint;

import dev.labelflight.engine.derive.DerivedColumn;
import dev.labelflight.engine.store.Manifest;
import java.util.List;

/** Bytes of derived columns: read beside a chunk, and computed from one. */
public final class DerivedFootprint {
  private DerivedFootprint() {}

  /**
   * The decoded Arrow buffers of {@code columns} for chunk {@code chunk} (each file decoded buffer by
   * buffer, rounded up by the allocator: at most twice the file).
   */
  public static long reading(List<DerivedColumn> columns, int chunk) {
    long total = 0;
    for (DerivedColumn c : columns) {
      total += 2 * c.bytes(chunk);
    }
    return total;
  }

  /**
   * Deriving a column from one chunk: the chunk decoded ({@link ChunkFootprint#decoded}) and the output
   * column, at most as big again (a text column rewritten, or an int column), with its offsets (up to 16
   * bytes a row counting the allocator's rounding) and fixed overhead.
   */
  public static long deriving(Manifest.Chunk chunk) {
    return 2 * ChunkFootprint.decoded(chunk) + 16L * chunk.rows() + (1 << 20);
  }
}
