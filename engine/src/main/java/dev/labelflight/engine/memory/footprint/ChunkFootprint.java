package dev.labelflight.engine.memory.footprint;

import dev.labelflight.engine.store.Manifest;

/** Bytes a dataset chunk takes once read from disk, alone and with the labelling of it. */
public final class ChunkFootprint {
  private ChunkFootprint() {}

  /**
   * The chunk's decoded Arrow buffers, read through a memory map (no heap copy of the file): the body is
   * decoded buffer by buffer, each rounded up by the allocator to a power of two, so at most twice the
   * file.
   */
  public static long decoded(Manifest.Chunk chunk) {
    return 2 * chunk.bytes();
  }

  /**
   * A chunk task that labels the chunk from disk: its {@link #decoded} buffers and the label side of
   * {@code lfCount} LFs ({@link LabelFootprint#chunk}). Derived columns the LFs read come on top
   * ({@link DerivedFootprint#reading}).
   */
  public static long labelling(Manifest.Chunk chunk, int lfCount) {
    return decoded(chunk) + LabelFootprint.chunk(chunk.rows(), lfCount);
  }
}
