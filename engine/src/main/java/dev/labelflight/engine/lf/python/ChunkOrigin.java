package dev.labelflight.engine.lf.python;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The chunk being labelled on this thread: the dataset's stored name ({@code OWNER~NAME}), version, chunk index,
 * first row, and its Arrow IPC file in the store when the chunk is the store's own ({@code null} for a chunk
 * fetched from another node). Bound by the chunk labeler around evaluation; read by evaluators that hand the
 * chunk to another process (Python LFs), which map the file instead of receiving a copy.
 */
public record ChunkOrigin(String dataset, int version, int chunk, long firstRow, Path file) {
  private static final ThreadLocal<ChunkOrigin> CURRENT = new ThreadLocal<>();

  /** Runs {@code work} with this origin bound to the current thread. */
  public <T> T within(Supplier<T> work) {
    ChunkOrigin previous = CURRENT.get();
    CURRENT.set(this);
    try {
      return work.get();
    } finally {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    }
  }

  /** The origin bound to this thread, or null. */
  public static ChunkOrigin current() {
    return CURRENT.get();
  }
}
