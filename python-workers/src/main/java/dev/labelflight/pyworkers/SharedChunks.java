package dev.labelflight.pyworkers;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.memory.MemoryPool;
import dev.labelflight.engine.memory.Reservation;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;

/**
 * Chunks that are not a local store file (a chunk lent by another node) reach workers as one Arrow IPC file in
 * shared memory ({@code /dev/shm} when there is one), written once per task, mapped by the worker, deleted
 * after; its bytes are held in the memory pool meanwhile. A resident dataset's chunks need no copy: they are
 * the store's files, which every worker maps from the page cache (one copy for all workers and jobs).
 */
final class SharedChunks {
  private final Path dir;
  private final MemoryPool memory;

  SharedChunks(Path dir, MemoryPool memory) {
    this.dir = dir;
    this.memory = memory;
  }

  /** A chunk copy that deletes its file and frees its bytes when closed. */
  record Copy(Path file, Reservation reservation) implements AutoCloseable {
    @Override
    public void close() {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // the pool's directory goes at close
      }
      reservation.close();
    }
  }

  /** The directory where {@code user}'s copies go (workers of that user may read it). */
  Path userDir(String user) {
    return dir.resolve(user);
  }

  Copy write(String user, VectorSchemaRoot chunk) {
    Path userDir = userDir(user);
    Path file = userDir.resolve("chunk-" + UUID.randomUUID() + ".arrow");
    Reservation reservation = memory.newReservation("python shared chunk " + file.getFileName());
    try {
      // The IPC file is about the size of the chunk's buffers.
      long bytes = chunk.getFieldVectors().stream().mapToLong(v -> v.getBufferSize()).sum() + (1 << 16);
      if (!reservation.trySetBytes(bytes)) {
        throw LabelFlightException.exhausted("no memory budget left for a shared copy of a chunk ("
            + (bytes >> 20) + " MiB) for Python LFs");
      }
      Files.createDirectories(userDir);
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
           ArrowFileWriter writer = new ArrowFileWriter(chunk, null, channel)) {
        writer.start();
        writer.writeBatch();
        writer.end();
      }
      return new Copy(file, reservation);
    } catch (IOException | RuntimeException e) {
      reservation.close();
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // best effort
      }
      if (e instanceof LabelFlightException lfe) {
        throw lfe;
      }
      throw LabelFlightException.internal("cannot write a shared copy of a chunk for Python LFs", e);
    }
  }
}
