package dev.labelflight.engine.store;

import dev.labelflight.engine.error.LabelFlightException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;

/**
 * One upload in progress: incoming batches of any size are re-cut into chunks of at most
 * {@code chunkRows} rows, each written to the staging directory as it fills. {@link #commit()} makes
 * the version visible; {@link #close()} without commit deletes everything written.
 */
public final class DatasetUpload implements AutoCloseable {
  /** Values of a variable-width column preallocated per chunk at most; wider chunks grow on demand. */
  static final long MAX_PREALLOCATED_BYTES = 64L << 20;
  private final DatasetStore store;
  private final String name;
  private final Schema schema;
  private final Path staging;
  private final int chunkRows;
  private final UploadLimits limits;
  private final BufferAllocator allocator;
  private final List<Manifest.Chunk> chunks = new ArrayList<>();
  private VectorSchemaRoot pending;
  private long rows;
  private long bytes;
  private boolean committed;
  private boolean closed;

  DatasetUpload(DatasetStore store, String name, Schema schema, Path staging, int chunkRows,
      UploadLimits limits, BufferAllocator allocator) {
    this.store = store;
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
    limits.check(name, batch);
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
        if (n > 0 && vector instanceof BaseVariableWidthVector target
            && sample.getVector(i) instanceof BaseVariableWidthVector source) {
          double density = Math.min(1.05 * source.sizeOfValueBuffer() / n, (double) MAX_PREALLOCATED_BYTES / chunkRows);
          target.setInitialCapacity(chunkRows, Math.max(1.0, density));
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

  /** Writes the last partial chunk and the manifest, then publishes the version. */
  public Manifest commit() {
    checkOpen();
    try {
      if (pending != null && pending.getRowCount() > 0) {
        flushChunk();
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

  private void flushChunk() {
    int index = chunks.size();
    String file = String.format("chunk-%06d.arrow", index);
    try {
      AtomicFiles.Written written = ArrowFiles.writeSingleBatch(staging.resolve(file), pending);
      chunks.add(new Manifest.Chunk(index, file, rows, pending.getRowCount(), written.bytes(), written.crc32c()));
      rows += pending.getRowCount();
      bytes += written.bytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write chunk " + index + " of '" + DatasetNames.display(name) + "'", e);
    } finally {
      pending.close();
      pending = null;
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
    if (!committed) {
      try {
        AtomicFiles.deleteRecursively(staging);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove abandoned upload " + staging, e);
      }
    }
  }
}
