package dev.labelflight.engine.memory.footprint;

import dev.labelflight.engine.store.Manifest;

/** Bytes a label-model fit holds: gold labels read from a chunk, and the vote patterns it counts. */
public final class ModelFitFootprint {
  private ModelFitFootprint() {}

  /**
   * Reading the gold column of one chunk: the chunk decoded ({@link ChunkFootprint#decoded}) from a heap
   * read, which holds the file in a byte array meanwhile, and the gold labels taken from it (up to 16
   * heap bytes a row), plus 1 MiB.
   */
  public static long goldChunk(Manifest.Chunk chunk) {
    return ChunkFootprint.decoded(chunk) + chunk.bytes() + 16L * chunk.rows() + (1 << 20);
  }

  /**
   * Heap bytes per distinct vote pattern of {@code lfs} LFs ({@code VotePatterns}): two bytes per LF
   * (int16 votes) and an 8-byte count, twice over because the arrays double when full, plus up to four
   * 4-byte hash slots (the table is kept at most half full and doubles too).
   */
  public static long votePattern(int lfs) {
    return 2 * (2L * lfs + 8) + 4 * 4;
  }
}
