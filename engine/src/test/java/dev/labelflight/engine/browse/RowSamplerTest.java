package dev.labelflight.engine.browse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifies paging of dataset rows and their JSON form. */
class RowSamplerTest {
  @TempDir
  Path dataDir;

  /** Verifies that only the chunks overlapping a page are picked and that pages hold exactly the asked rows. */
  @Test
  void readsOnlyTheChunksOfAPage() {
    try (BufferAllocator allocator = TestAllocators.root()) {
      DatasetStore store = new DatasetStore(dataDir, 100);
      Manifest manifest;
      try (DatasetUpload upload = store.beginUpload("r", ReviewsGenerator.SCHEMA, allocator);
           VectorSchemaRoot batch = new ReviewsGenerator(1).batch(0, 350, allocator)) {
        upload.append(batch);
        manifest = upload.commit();
      }
      assertEquals(List.of(0), RowSampler.chunksFor(manifest, 0, 100));
      assertEquals(List.of(0, 1), RowSampler.chunksFor(manifest, 99, 2));
      assertEquals(List.of(3), RowSampler.chunksFor(manifest, 340, 200));
      assertEquals(List.of(), RowSampler.chunksFor(manifest, 350, 10));
      var page = new RowSampler(store).page(manifest, 340, 200, allocator);
      assertEquals(10, page.get("rows").size());
      assertEquals(349, page.get("rows").get(9).get("id").asLong());
      assertEquals(349, page.get("rows").get(9).get("_row").asLong());
      assertEquals("int32", page.get("fields").get(2).get("type").asText());
      assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT,
          assertThrows(LabelFlightException.class, () -> RowSampler.validate(0, 0)).kind());
    }
  }

  /** Verifies that values JSON cannot hold become strings and long text is cut. */
  @Test
  void convertsValuesJsonCannotHold() {
    assertEquals("NaN", RowJson.value(Double.NaN).asText());
    assertEquals("Infinity", RowJson.value(Float.POSITIVE_INFINITY).asText());
    assertEquals(RowJson.MAX_TEXT + 1, RowJson.value("x".repeat(RowJson.MAX_TEXT + 50)).asText().length());
    assertEquals(7, RowJson.value((short) 7).asLong());
    assertEquals("[0.5,null]", RowJson.value(java.util.Arrays.asList(0.5f, null)).toString());
  }

  /**
   * Verifies that a DataFrame's stored index (reserved __index_level_N__ columns) is not shown as data:
   * left out of the fields, and carried by each row as _index.
   */
  @Test
  void storedIndexIsNotAColumn() {
    Schema schema = new Schema(List.of(
        new Field("text", FieldType.nullable(new ArrowType.Utf8()), null),
        new Field("__index_level_0__", FieldType.nullable(new ArrowType.Utf8()), null),
        new Field("__index_level_1__", FieldType.nullable(new ArrowType.Int(64, true)), null)));
    try (BufferAllocator allocator = TestAllocators.root();
         VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
      ((VarCharVector) root.getVector(0)).setSafe(0, "hello".getBytes());
      ((VarCharVector) root.getVector(1)).setSafe(0, "doc-7".getBytes());
      ((BigIntVector) root.getVector(2)).setSafe(0, 3);
      root.setRowCount(1);
      assertEquals("[{\"name\":\"text\",\"type\":\"utf8\",\"nullable\":true}]", DatasetCatalog.fields(schema).toString());
      assertEquals("{\"text\":\"hello\",\"_index\":[\"doc-7\",3]}", RowJson.row(root, 0).toString());
    }
  }
}
