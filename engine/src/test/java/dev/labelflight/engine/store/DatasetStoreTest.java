package dev.labelflight.engine.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetStoreTest {
  @TempDir Path dir;
  RootAllocator allocator;
  DatasetStore store;
  final ReviewsGenerator generator = new ReviewsGenerator(7);

  @BeforeEach
  void setUp() {
    allocator = TestAllocators.root();
    store = new DatasetStore(dir, 1000);
  }

  @AfterEach
  void tearDown() {
    allocator.close();
  }

  private Manifest upload(String name, int... batchSizes) {
    try (DatasetUpload upload = store.beginUpload(name, ReviewsGenerator.SCHEMA, allocator)) {
      long row = 0;
      for (int size : batchSizes) {
        try (VectorSchemaRoot batch = generator.batch(row, size, allocator)) {
          upload.append(batch);
        }
        row += size;
      }
      return upload.commit();
    }
  }

  /** Verifies that batches of any size are re-cut into chunks of chunkRows rows with every row intact. */
  @Test
  void rechunksBatchesAndKeepsEveryRow() {
    Manifest m = upload("reviews", 333, 1500, 7, 1160);
    assertEquals(3000, m.rows());
    assertEquals(List.of(1000, 1000, 1000), m.chunks().stream().map(Manifest.Chunk::rows).toList());
    long row = 0;
    for (int c = 0; c < m.chunks().size(); c++) {
      try (VectorSchemaRoot chunk = store.readChunk(m, c, allocator);
           VectorSchemaRoot expected = generator.batch(row, chunk.getRowCount(), allocator)) {
        assertEquals(m.chunks().get(c).firstRow(), row);
        for (int i = 0; i < chunk.getRowCount(); i++) {
          assertEquals(((BigIntVector) expected.getVector("id")).get(i), ((BigIntVector) chunk.getVector("id")).get(i));
          assertArrayEquals(((VarCharVector) expected.getVector("text")).get(i),
              ((VarCharVector) chunk.getVector("text")).get(i));
        }
        row += chunk.getRowCount();
      }
    }
    assertEquals(ReviewsGenerator.SCHEMA, m.arrowSchema());
  }

  /** Verifies that a second upload under a name becomes version 2 and version 1 stays readable. */
  @Test
  void secondUploadIsNextVersion() {
    upload("reviews", 10);
    Manifest second = upload("reviews", 20);
    assertEquals(2, second.version());
    assertEquals(List.of(1, 2), store.versions("reviews"));
    assertEquals(10, store.manifest("reviews", 1).rows());
    assertEquals(20, store.manifest("reviews", null).rows());
    assertEquals(List.of("reviews"), store.names());
  }

  /** Verifies that an upload closed without commit leaves no version and no file behind. */
  @Test
  void abandonedUploadLeavesNothing() throws Exception {
    try (DatasetUpload upload = store.beginUpload("partial", ReviewsGenerator.SCHEMA, allocator);
         VectorSchemaRoot batch = generator.batch(0, 2500, allocator)) {
      upload.append(batch);
    }
    assertTrue(store.versions("partial").isEmpty());
    try (Stream<Path> files = Files.walk(dir.resolve("datasets"))) {
      assertEquals(0, files.filter(Files::isRegularFile).count());
    }
    LabelFlightException e = assertThrows(LabelFlightException.class, () -> store.manifest("partial", null));
    assertEquals(LabelFlightException.Kind.NOT_FOUND, e.kind());
  }

  /**
   * Verifies that a chunk write failing on the writer thread after the last batch (the staging directory
   * vanished) fails the commit with a message naming the chunk, publishes no version and frees every chunk.
   */
  @Test
  void backgroundWriteFailureAtCommitPublishesNothing() throws Exception {
    DatasetUpload upload = store.beginUpload("lost", ReviewsGenerator.SCHEMA, allocator);
    try (upload; VectorSchemaRoot batch = generator.batch(0, 500, allocator)) {
      upload.append(batch);
      AtomicFiles.deleteRecursively(stagingOf("lost"));
      java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, upload::commit);
      assertTrue(e.getMessage().startsWith("cannot write chunk 0 of 'lost'"), e.getMessage());
      assertFalse(e.getMessage().contains(dir.toString()), "no server paths in the message: " + e.getMessage());
    }
    assertTrue(store.versions("lost").isEmpty());
    assertNoFiles();
  }

  /**
   * Verifies that a chunk write failing in the background while the caller fills the next chunk surfaces
   * on a later append, and the abandoned upload leaves nothing.
   */
  @Test
  void backgroundWriteFailureSurfacesOnALaterAppend() throws Exception {
    DatasetUpload upload = store.beginUpload("lost", ReviewsGenerator.SCHEMA, allocator);
    try (upload) {
      AtomicFiles.deleteRecursively(stagingOf("lost"));
      try (VectorSchemaRoot first = generator.batch(0, 1000, allocator)) {
        upload.append(first); // chunk 0 goes to the writer, which fails
      }
      try (VectorSchemaRoot second = generator.batch(1000, 1000, allocator)) {
        java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, () -> upload.append(second));
        assertTrue(e.getMessage().startsWith("cannot write chunk 0 of 'lost'"), e.getMessage());
      }
    }
    assertTrue(store.versions("lost").isEmpty());
    assertNoFiles();
  }

  private Path stagingOf(String name) throws java.io.IOException {
    try (Stream<Path> entries = Files.list(dir.resolve("datasets").resolve(name))) {
      return entries.filter(p -> p.getFileName().toString().startsWith(DatasetStore.STAGING_PREFIX)).findFirst()
          .orElseThrow();
    }
  }

  private void assertNoFiles() throws java.io.IOException {
    try (Stream<Path> files = Files.walk(dir.resolve("datasets"))) {
      assertEquals(List.of(), files.filter(p -> !p.equals(dir.resolve("datasets"))
          && !Files.isDirectory(p) || p.getFileName().toString().startsWith(".")).toList());
    }
  }

  /** Verifies that staging directories left by a crash are removed when a store opens. */
  @Test
  void removesStagingLeftByCrash() throws Exception {
    Path staging = Files.createDirectories(dir.resolve("datasets/crashed/" + DatasetStore.STAGING_PREFIX + "123"));
    Files.writeString(staging.resolve("chunk-000000.arrow"), "half");
    new DatasetStore(dir, 1000);
    assertFalse(Files.exists(staging));
  }

  /** Verifies that a chunk whose bytes changed on disk is reported as corrupt, not read. */
  @Test
  void detectsCorruptAndTruncatedChunks() throws Exception {
    Manifest m = upload("reviews", 2000);
    Path chunk0 = dir.resolve("datasets/reviews/v000001").resolve(m.chunk(0).file());
    byte[] bytes = Files.readAllBytes(chunk0);
    bytes[bytes.length / 2] ^= 0x55;
    Files.write(chunk0, bytes);
    assertThrows(CorruptDataException.class, () -> store.readChunk(m, 0, allocator));
    Path chunk1 = dir.resolve("datasets/reviews/v000001").resolve(m.chunk(1).file());
    byte[] whole = Files.readAllBytes(chunk1);
    Files.write(chunk1, java.util.Arrays.copyOf(whole, whole.length - 100));
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> store.readChunk(m, 1, allocator));
    assertTrue(e.getMessage().contains("chunk 1"), e.getMessage());
  }

  /** Verifies that names that could escape the data directory are refused. */
  @Test
  void rejectsBadNames() {
    for (String bad : List.of("", "../etc", "a/b", "..", "a\\b", ".hidden", "x".repeat(200), "a b")) {
      LabelFlightException e = assertThrows(LabelFlightException.class,
          () -> store.beginUpload(bad, ReviewsGenerator.SCHEMA, allocator));
      assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind());
    }
  }

  /** Verifies that a column of an unsupported type is refused with its name in the message. */
  @Test
  void rejectsUnsupportedColumnTypes() {
    Schema schema = new Schema(List.of(
        new Field("when", FieldType.nullable(new ArrowType.Date(org.apache.arrow.vector.types.DateUnit.DAY)), null)));
    LabelFlightException e = assertThrows(LabelFlightException.class, () -> store.beginUpload("d", schema, allocator));
    assertTrue(e.getMessage().contains("'when'"), e.getMessage());
  }

  /** Verifies that a batch whose schema differs from the upload's is refused. */
  @Test
  void rejectsSchemaChangeMidUpload() {
    Schema other = new Schema(List.of(new Field("x", FieldType.nullable(new ArrowType.Utf8()), null)));
    try (DatasetUpload upload = store.beginUpload("d", ReviewsGenerator.SCHEMA, allocator);
         VectorSchemaRoot batch = VectorSchemaRoot.create(other, allocator)) {
      batch.setRowCount(0);
      LabelFlightException e = assertThrows(LabelFlightException.class, () -> upload.append(batch));
      assertTrue(e.getMessage().contains("schema changed"));
    }
    assertTrue(store.versions("d").isEmpty());
  }

  /**
   * Verifies that a chunk of large (64-bit offset) strings, what pandas sends, is preallocated at the
   * incoming density like 32-bit strings, instead of growing by doubling (which holds old and new buffers at
   * once): the same text costs both kinds about the same peak memory.
   */
  @Test
  void largeStringChunksArePreallocatedLikeStrings() {
    long utf8 = peakOfOneChunk(new ArrowType.Utf8());
    long large = peakOfOneChunk(new ArrowType.LargeUtf8());
    assertTrue(large < utf8 * 1.2, "peak bytes: large strings " + large + ", strings " + utf8);
  }

  private long peakOfOneChunk(ArrowType type) {
    Schema schema = new Schema(List.of(new Field("t", FieldType.nullable(type), null)));
    byte[] value = new byte[300];
    java.util.Arrays.fill(value, (byte) 'y');
    try (org.apache.arrow.memory.BufferAllocator chunks = allocator.newChildAllocator("chunks", 0, Long.MAX_VALUE)) {
      try (DatasetUpload upload = store.beginUpload("peak" + type.getTypeID(), schema, chunks);
           VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator)) {
        org.apache.arrow.vector.FieldVector v = batch.getVector("t");
        v.setInitialCapacity(1000);
        v.allocateNew();
        for (int i = 0; i < 1000; i++) {
          if (v instanceof VarCharVector s) {
            s.setSafe(i, value);
          } else {
            ((org.apache.arrow.vector.LargeVarCharVector) v).setSafe(i, value);
          }
        }
        batch.setRowCount(1000);
        upload.append(batch);
        upload.commit();
      }
      return chunks.getPeakMemoryAllocation();
    }
  }

  /**
   * Verifies that an upload of a few very wide text values preallocates at most a bounded chunk (not
   * chunkRows values of that width) and stores them intact.
   */
  @Test
  void fewWideValuesDoNotPreallocateAWholeChunkOfThem() {
    Schema schema = new Schema(List.of(new Field("t", FieldType.nullable(new ArrowType.Utf8()), null)));
    byte[] wide = new byte[4 << 20];
    java.util.Arrays.fill(wide, (byte) 'x');
    try (org.apache.arrow.memory.BufferAllocator capped = allocator.newChildAllocator("capped", 0, 256L << 20)) {
      Manifest m;
      try (DatasetUpload upload = store.beginUpload("wide", schema, capped);
           VectorSchemaRoot batch = VectorSchemaRoot.create(schema, capped)) {
        VarCharVector t = (VarCharVector) batch.getVector("t");
        t.allocateNew(3 * (long) wide.length, 3);
        for (int i = 0; i < 3; i++) {
          t.set(i, wide);
        }
        batch.setRowCount(3);
        upload.append(batch); // 1000 rows x 4 MiB would be ~4 GiB, far over the 256 MiB cap
        m = upload.commit();
      }
      assertEquals(3, m.rows());
      try (VectorSchemaRoot back = store.readChunk(m, 0, capped)) {
        assertArrayEquals(wide, ((VarCharVector) back.getVector("t")).get(2));
      }
    }
  }
}
