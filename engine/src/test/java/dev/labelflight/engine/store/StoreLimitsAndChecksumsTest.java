package dev.labelflight.engine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upload limits and the manifest's own checksum, on the store directly. */
class StoreLimitsAndChecksumsTest {
  @TempDir Path dir;
  RootAllocator allocator;

  @BeforeEach
  void setUp() {
    allocator = TestAllocators.root();
  }

  @AfterEach
  void tearDown() {
    allocator.close();
  }

  /**
   * Verifies that a manifest edited on disk into another valid JSON (a different row count) is reported as
   * corrupt by its checksum instead of being believed.
   */
  @Test
  void manifestChecksumCatchesAValidLookingEdit() throws Exception {
    DatasetStore store = new DatasetStore(dir, 1000);
    try (DatasetUpload upload = store.beginUpload("reviews", ReviewsGenerator.SCHEMA, allocator);
         VectorSchemaRoot batch = new ReviewsGenerator(1).batch(0, 2000, allocator)) {
      upload.append(batch);
      upload.commit();
    }
    Path manifest = dir.resolve("datasets/reviews/v000001/manifest.json");
    String json = Files.readString(manifest, StandardCharsets.UTF_8);
    assertTrue(json.contains("\"rows\" : 2000"), json);
    Files.writeString(manifest, json.replaceFirst("\"rows\" : 2000", "\"rows\" : 2001"), StandardCharsets.UTF_8);
    CorruptDataException e = assertThrows(CorruptDataException.class,
        () -> new DatasetStore(dir, 1000).manifest("reviews", 1));
    assertTrue(e.getMessage().contains("manifest of dataset 'reviews' v1 is corrupt"), e.getMessage());
  }

  /**
   * Verifies that a batch over maxBatchBytes and a value over maxValueBytes (in the last row of a
   * utf8 column) are refused with INVALID_ARGUMENT naming the limit, the column and the
   * row, and that the aborted upload leaves no version.
   */
  @Test
  void uploadLimitsNameTheLimitColumnAndRow() throws Exception {
    DatasetStore store = new DatasetStore(dir, 1000, new UploadLimits(200_000, 300));
    try (DatasetUpload upload = store.beginUpload("r", ReviewsGenerator.SCHEMA, allocator);
         VectorSchemaRoot big = new ReviewsGenerator(1).batch(0, 2000, allocator)) {
      LabelFlightException e = assertThrows(LabelFlightException.class, () -> upload.append(big));
      assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind());
      assertTrue(e.getMessage().contains("limits.maxBatchBytes = 200000"), e.getMessage());
    }
    try (DatasetUpload upload = store.beginUpload("r", ReviewsGenerator.SCHEMA, allocator);
         VectorSchemaRoot batch = new ReviewsGenerator(1).batch(0, 50, allocator)) {
      org.apache.arrow.vector.VarCharVector text = (org.apache.arrow.vector.VarCharVector) batch.getVector("text");
      text.setSafe(49, "w".repeat(301).getBytes(StandardCharsets.US_ASCII));
      batch.setRowCount(50);
      LabelFlightException e = assertThrows(LabelFlightException.class, () -> upload.append(batch));
      assertTrue(e.getMessage().contains("limits.maxValueBytes = 300") && e.getMessage().contains("'text'")
          && e.getMessage().contains("row 49"), e.getMessage());
    }
    assertTrue(store.versions("r").isEmpty());
  }
}
