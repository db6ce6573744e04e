package dev.labelflight.engine.store;

import dev.labelflight.engine.error.CorruptDataException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;

/** Reading and writing single-batch Arrow IPC files, the unit of every chunk LabelFlight stores. */
public final class ArrowFiles {
  private ArrowFiles() {}

  /** Writes the root as one record batch, atomically, and returns size and checksum. */
  public static AtomicFiles.Written writeSingleBatch(java.nio.file.Path target, VectorSchemaRoot root)
      throws IOException {
    return AtomicFiles.write(target, channel -> {
      try (ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
        writer.start();
        writer.writeBatch();
        writer.end();
      }
    });
  }

  /** Decodes an IPC file holding one batch into a root owned by the caller. */
  public static VectorSchemaRoot readSingleBatch(byte[] bytes, BufferAllocator allocator, String what) {
    try (ArrowFileReader reader = new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(bytes), allocator)) {
      return takeFirstBatch(reader, allocator);
    } catch (IOException | RuntimeException e) {
      if (e instanceof org.apache.arrow.memory.OutOfMemoryException oom) {
        throw oom;
      }
      throw new CorruptDataException(what + " is not a readable Arrow file: " + e.getMessage());
    }
  }

  /**
   * Loads the reader's first batch and moves its buffers into a new root owned by the caller (the
   * reader's own root is closed with the reader); an empty file gives an empty root.
   */
  static VectorSchemaRoot takeFirstBatch(ArrowFileReader reader, BufferAllocator allocator) throws IOException {
    VectorSchemaRoot source = reader.getVectorSchemaRoot();
    if (!reader.loadNextBatch()) {
      return VectorSchemaRoot.create(source.getSchema(), allocator);
    }
    List<FieldVector> vectors = new ArrayList<>(source.getFieldVectors().size());
    try {
      for (FieldVector vector : source.getFieldVectors()) {
        var transfer = vector.getTransferPair(allocator);
        transfer.transfer();
        vectors.add((FieldVector) transfer.getTo());
      }
    } catch (RuntimeException e) {
      vectors.forEach(FieldVector::close);
      throw e;
    }
    return new VectorSchemaRoot(source.getSchema().getFields(), vectors, source.getRowCount());
  }
}
