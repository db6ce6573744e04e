package dev.labelflight.engine.memory.footprint;

import dev.labelflight.engine.lf.ResidentText;
import dev.labelflight.engine.store.Manifest;

/** Bytes a resident copy of a dataset version holds for as long as it lives. */
public final class ResidentFootprint {
  private ResidentFootprint() {}

  /**
   * Each chunk's decoded body, which the allocator rounds up to a power of two; the heap copies of its
   * text columns kept for every job ({@link ResidentText}: the text, at most the chunk's bytes; their word
   * indexes, at most as much again; plus offsets and row signatures per text column and row; built in the
   * background after load, each column reserving these bytes from the heap allowance first); plus the
   * label arrays of one chunk per core and fixed overhead. A job over the copy reserves its label side on
   * top ({@link LabelFootprint#chunk} per chunk running at once).
   */
  public static long of(Manifest manifest) {
    long total = 4 << 20;
    long maxRows = 0;
    int textColumns = ResidentText.textColumns(manifest.arrowSchema());
    for (Manifest.Chunk c : manifest.chunks()) {
      total += c.bytes() <= 1 ? 1 : Long.highestOneBit(c.bytes() - 1) << 1;
      if (textColumns > 0) {
        total += 2 * c.bytes() + textColumns * (c.rows() + 1L) * ResidentText.bytesPerRow() + 64;
      }
      maxRows = Math.max(maxRows, c.rows());
    }
    return total + maxRows * 64L;
  }
}
