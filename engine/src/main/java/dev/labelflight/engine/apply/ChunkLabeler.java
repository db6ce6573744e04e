package dev.labelflight.engine.apply;

import dev.labelflight.engine.lf.CompiledLfSet;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.Manifest;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Labels one chunk of a dataset: read it, run the compiled LFs over it, write its label file. */
public final class ChunkLabeler {
  private final DatasetStore datasets;
  private final LabelStore labels;

  /** What one chunk produced. */
  public record Result(int chunk, int rows, AtomicFiles.Written file, long evalNanos) {}

  public ChunkLabeler(DatasetStore datasets, LabelStore labels) {
    this.datasets = datasets;
    this.labels = labels;
  }

  /**
   * Bytes to reserve before labelling a chunk: its file read on the heap, the decoded Arrow buffers, the
   * text copied for matching, and the label arrays.
   */
  public static long memoryEstimate(Manifest.Chunk chunk, int lfCount) {
    return 3 * chunk.bytes() + (long) chunk.rows() * (2L * lfCount + 16) + (1 << 20);
  }

  public Result label(String job, Manifest manifest, int chunkIndex, CompiledLfSet lfs, BufferAllocator allocator) {
    Manifest.Chunk chunk = manifest.chunk(chunkIndex);
    byte[][] votes;
    long start;
    long evalNanos;
    try (VectorSchemaRoot data = datasets.readChunk(manifest, chunkIndex, allocator)) {
      start = System.nanoTime();
      votes = lfs.evaluate(data);
      evalNanos = System.nanoTime() - start;
    }
    AtomicFiles.Written file = labels.write(job, chunkIndex, chunk.firstRow(), lfs.names(), votes, allocator);
    return new Result(chunkIndex, chunk.rows(), file, evalNanos);
  }
}
