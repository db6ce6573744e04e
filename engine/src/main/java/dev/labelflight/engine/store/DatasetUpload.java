package dev.labelflight.engine.store;

import dev.labelflight.engine.error.LabelFlightException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;

/**
 * One upload in progress: incoming batches of any size are re-cut into chunks of at most
 * {@code chunkRows} rows, each written to the staging directory as it fills. {@link #commit()} makes
 * the version visible; {@link #close()} without commit deletes everything written.
 *
 * <p>A full chunk is written and fsynced on one of the store's writer threads while the caller fills the
 * next one. At most {@link #MAX_CHUNKS_IN_FLIGHT} chunks wait for the disk: the next full chunk waits for
 * the oldest write (back-pressure on the caller, so memory stays bounded at that many chunks plus the one
 * being filled, all from the upload's allocator). A failed write surfaces on the caller's next append or
 * on commit; nothing is published before every chunk is durable.
 */
public final class DatasetUpload implements AutoCloseable {
  /** Values of a variable-width column preallocated per chunk at most; wider chunks grow on demand. */
  static final long MAX_PREALLOCATED_BYTES = 64L << 20;
  /** Full chunks being written in the background at most; one already overlaps the disk with the network. */
  static final int MAX_CHUNKS_IN_FLIGHT = 1;
  private final DatasetStore store;
  private final String name;
  private final Schema schema;
  private final Path staging;
  private final int chunkRows;
  private final UploadLimits limits;
  private final BufferAllocator allocator;
  private final ExecutorService writers;
  private final List<Manifest.Chunk> chunks = new ArrayList<>();
  /** Chunks handed to the writers and not yet collected, oldest first. */
  private final Deque<ChunkWrite> inFlight = new ArrayDeque<>();
  private VectorSchemaRoot pending;
  private long rows;
  private long bytes;
  private boolean committed;
  private boolean closed;

  DatasetUpload(DatasetStore store, String name, Schema schema, Path staging, int chunkRows,
      UploadLimits limits, BufferAllocator allocator, ExecutorService writers) {
    this.store = store;
    this.writers = writers;
    this.name = name;
    this.schema = schema;
    this.staging = staging;
    this.chunkRows = chunkRows;
    this.limits = limits;
    this.allocator = allocator;
  }

  public String name() {
    return name;
  }

  public Schema schema() {
    return schema;
  }

  public long rows() {
    return rows;
  }

  /** Appends a batch; its schema must equal the upload's and it must be within the upload limits. */
  public void append(VectorSchemaRoot batch) {
    checkOpen();
    if (!batch.getSchema().equals(schema)) {
      throw LabelFlightException.invalid("schema changed in the middle of the upload of '" + DatasetNames.display(name) + "': expected "
          + schema + ", got " + batch.getSchema());
    }
    limits.check(DatasetNames.display(name), batch);
    int n = batch.getRowCount();
    int offset = 0;
    while (offset < n) {
      if (pending == null) {
        pending = newChunk(batch);
      }
      int take = Math.min(chunkRows - pending.getRowCount(), n - offset);
      if (offset == 0 && take == n) {
        VectorSchemaRootAppender.append(pending, batch);
      } else {
        try (VectorSchemaRoot slice = batch.slice(offset, take)) {
          VectorSchemaRootAppender.append(pending, slice);
        }
      }
      offset += take;
      if (pending.getRowCount() == chunkRows) {
        flushChunk();
      }
    }
  }

  /**
   * An empty chunk sized for {@code chunkRows} rows, variable-width columns at the density of
   * {@code sample}, so that appending does not grow (and copy) the buffers again and again.
   */
  private VectorSchemaRoot newChunk(VectorSchemaRoot sample) {
    VectorSchemaRoot chunk = VectorSchemaRoot.create(schema, allocator);
    try {
      int n = sample.getRowCount();
      for (int i = 0; i < chunk.getFieldVectors().size(); i++) {
        FieldVector vector = chunk.getVector(i);
        FieldVector source = sample.getVector(i);
        // Large (64-bit offset) strings are what pandas sends; they need the same sizing as the 32-bit kind.
        if (n > 0 && vector instanceof BaseVariableWidthVector target && source instanceof BaseVariableWidthVector s) {
          target.setInitialCapacity(chunkRows, density(s.sizeOfValueBuffer(), n));
        } else if (n > 0 && vector instanceof BaseLargeVariableWidthVector target
            && source instanceof BaseLargeVariableWidthVector s) {
          target.setInitialCapacity(chunkRows, density(s.sizeOfValueBuffer(), n));
        } else {
          vector.setInitialCapacity(chunkRows);
        }
      }
      chunk.allocateNew();
      chunk.setRowCount(0);
      return chunk;
    } catch (RuntimeException e) {
      chunk.close();
      throw e;
    }
  }

  /** Bytes per value to preallocate for a variable-width column whose sample holds {@code bytes} in {@code rows}. */
  private double density(long bytes, int rows) {
    return Math.max(1.0, Math.min(1.05 * bytes / rows, (double) MAX_PREALLOCATED_BYTES / chunkRows));
  }

  /** Writes the last partial chunk, waits until every chunk is durable, then writes the manifest and publishes. */
  public Manifest commit() {
    checkOpen();
    try {
      if (pending != null && pending.getRowCount() > 0) {
        flushChunk();
      }
      while (!inFlight.isEmpty()) {
        collectOldest();
      }
      Manifest manifest = store.publish(name, staging, version -> new Manifest(name, version, rows, bytes,
          Instant.now().toString(), Manifest.schemaJson(schema), List.copyOf(chunks)));
      committed = true;
      return manifest;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot commit upload of '" + DatasetNames.display(name) + "'", e);
    } finally {
      close();
    }
  }

  /** Hands the full pending chunk to a writer thread, after the oldest write if as many as allowed are out. */
  private void flushChunk() {
    VectorSchemaRoot chunk = pending;
    pending = null;
    ChunkWrite write;
    try {
      while (inFlight.size() >= MAX_CHUNKS_IN_FLIGHT) {
        collectOldest();
      }
      int index = chunks.size() + inFlight.size();
      String file = String.format("chunk-%06d.arrow", index);
      Path target = staging.resolve(file);
      write = new ChunkWrite(index, file, rows, chunk, writers.submit(() -> ArrowFiles.writeSingleBatch(target, chunk)));
    } catch (RuntimeException | Error e) {
      chunk.close();
      throw e;
    }
    inFlight.add(write);
    rows += chunk.getRowCount();
  }

  /**
   * Waits for the oldest background write, records its chunk and frees its memory; its failure is thrown
   * here. The wait ignores interrupts: the chunk's buffers may be freed only once the writer is done with them.
   */
  private void collectOldest() {
    ChunkWrite write = inFlight.poll();
    try {
      AtomicFiles.Written written = write.awaitWritten();
      chunks.add(new Manifest.Chunk(write.index, write.file, write.firstRow, write.chunk.getRowCount(), written.bytes(),
          written.crc32c()));
      bytes += written.bytes();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      String what = "cannot write chunk " + write.index + " of '" + DatasetNames.display(name) + "'";
      if (cause instanceof IOException io) {
        throw new UncheckedIOException(what + ": " + reason(io), io);
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(what + ": " + cause, cause);
    } finally {
      write.chunk.close();
    }
  }

  /** Why a write failed, without the server's file paths (the client sees this; the log gets the cause). */
  private static String reason(IOException e) {
    if (e instanceof java.nio.file.FileSystemException f) {
      return f.getReason() != null ? f.getReason() : f.getClass().getSimpleName();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /** One chunk handed to a writer thread: where it goes, and its buffers (freed once the write is done). */
  private record ChunkWrite(int index, String file, long firstRow, VectorSchemaRoot chunk,
      Future<AtomicFiles.Written> result) {
    AtomicFiles.Written awaitWritten() throws ExecutionException {
      boolean interrupted = false;
      try {
        while (true) {
          try {
            return result.get();
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("upload of '" + DatasetNames.display(name) + "' is closed");
    }
  }

  /** Releases memory; without a commit, also deletes the staging directory. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (pending != null) {
      pending.close();
      pending = null;
    }
    // Abandoned writes still finish (they hold the chunks' memory and may be creating files in staging).
    while (!inFlight.isEmpty()) {
      try {
        collectOldest();
      } catch (RuntimeException e) {
        // The upload is abandoned anyway; the failure that ended it is the caller's to report.
      }
    }
    if (!committed) {
      try {
        store.abandon(name, staging);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove abandoned upload " + staging, e);
      }
    }
  }
}
