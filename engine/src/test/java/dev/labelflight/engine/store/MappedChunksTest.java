package dev.labelflight.engine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.error.CorruptDataException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MappedChunksTest {
  @TempDir Path dir;

  /** Verifies that a mapped read yields the same rows as a heap read, and that a flipped byte is detected. */
  @Test
  void mappedReadEqualsHeapReadAndDetectsCorruption() throws Exception {
    try (RootAllocator allocator = new RootAllocator()) {
      DatasetStore store = new DatasetStore(dir, 700);
      Manifest m;
      try (DatasetUpload upload = store.beginUpload("r", ReviewsGenerator.SCHEMA, allocator);
           VectorSchemaRoot batch = new ReviewsGenerator(4).batch(0, 2000, allocator)) {
        upload.append(batch);
        m = upload.commit();
      }
      for (int i = 0; i < m.chunks().size(); i++) {
        try (VectorSchemaRoot heap = store.readChunk(m, i, allocator);
             VectorSchemaRoot mapped = MappedChunks.read(store, m, i, allocator)) {
          assertEquals(heap.contentToTSVString(), mapped.contentToTSVString());
        }
      }
      Path file = store.versionDir("r", 1).resolve(m.chunk(1).file());
      byte[] bytes = Files.readAllBytes(file);
      bytes[bytes.length / 3] ^= 1;
      Files.write(file, bytes);
      assertThrows(CorruptDataException.class, () -> MappedChunks.read(store, m, 1, allocator).close());
    }
  }
}
