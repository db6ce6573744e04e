package dev.labelflight.engine.memory.footprint;

import dev.labelflight.engine.store.Manifest;

/** Bytes a label-model fit holds: gold labels read from a chunk, and the vote patterns it counts. */
public final class ModelFitFootprint {
  private ModelFitFootprint() {}

  /** Reading the gold column of one chunk: the chunk decoded and a label side without LFs. */
  public static long goldChunk(Manifest.Chunk chunk) {
    return ChunkFootprint.labelling(chunk, 0);
  }

  /**
   * Heap bytes per distinct vote pattern of {@code lfs} LFs: two bytes per LF (int16 votes) plus its count
   * and hash slots.
   */
  public static long votePattern(int lfs) {
    return 2L * lfs + 16L;
  }
}
