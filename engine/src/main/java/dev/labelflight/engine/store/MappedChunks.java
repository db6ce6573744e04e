package dev.labelflight.engine.store;

import dev.labelflight.engine.error.CorruptDataException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;

/**
 * Reads a dataset chunk without a heap copy of its file: the checksum is computed while reading the file
 * through a small buffer, and the batch is decoded straight from the file channel into the caller's allocator, so
 * that reading a chunk costs the chunk's buffers and nothing else (no heap copy of the file, no JDK direct copy
 * buffer as large as the file, no mapping left for the GC to remove). {@link DatasetStore#readChunk} reads this way.
 * Blocking.
 */
public final class MappedChunks {
  private static final int CRC_BUFFER = 256 << 10;

  private MappedChunks() {}

  public static VectorSchemaRoot read(DatasetStore store, Manifest manifest, int index, BufferAllocator allocator) {
    Manifest.Chunk chunk = manifest.chunk(index);
    Path file = store.versionDir(manifest.name(), manifest.version()).resolve(chunk.file());
    String what = "chunk " + index + " of dataset '" + DatasetNames.display(manifest.name()) + "' v" + manifest.version();
    return read(file, chunk.bytes(), chunk.crc32c(), what, allocator);
  }

  /** Reads any single-batch Arrow file whose size and CRC32C are known ({@code what} names it in errors). */
  public static VectorSchemaRoot read(Path file, long bytes, long crc32c, String what, BufferAllocator allocator) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size != bytes) {
        throw new CorruptDataException(what + " is corrupt (size differs from the manifest)");
      }
      CRC32C crc = new CRC32C();
      // Through a small heap buffer rather than a memory map: a map stays until the GC finds it, and its pages
      // count in the process's RSS meanwhile (a resident load mapped the whole dataset, a dropped dataset stayed
      // mapped). The JDK copies through a per-thread direct buffer of the same 256 KiB, which it keeps.
      java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(CRC_BUFFER);
      while (channel.read(buffer) > 0 || buffer.position() > 0) {
        buffer.flip();
        crc.update(buffer);
        buffer.clear();
      }
      if (crc.getValue() != crc32c) {
        throw new CorruptDataException(what + " is corrupt (checksum differs from the manifest)");
      }
      channel.position(0);
      try (ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
        return ArrowFiles.takeFirstBatch(reader, allocator);
      }
    } catch (OutOfMemoryException | CorruptDataException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new CorruptDataException(what + " cannot be read: " + e);
    }
  }
}
