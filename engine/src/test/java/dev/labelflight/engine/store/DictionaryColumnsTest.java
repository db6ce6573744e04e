package dev.labelflight.engine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Decoding uploaded dictionary columns: exact values and nulls, and refusals before anything is allocated. */
class DictionaryColumnsTest {
  private static final DictionaryEncoding ENCODING = new DictionaryEncoding(1L, false, new ArrowType.Int(32, true));

  /** A batch of one dictionary column "c" over {@code values}, with {@code indices} (null: a null row). */
  private static VectorSchemaRoot batch(BufferAllocator allocator, Integer... indices) {
    Field field = new Field("c", new FieldType(true, new ArrowType.Int(32, true), ENCODING), null);
    IntVector column = (IntVector) field.createVector(allocator);
    column.allocateNew(indices.length);
    for (int i = 0; i < indices.length; i++) {
      if (indices[i] == null) {
        column.setNull(i);
      } else {
        column.set(i, indices[i]);
      }
    }
    column.setValueCount(indices.length);
    return new VectorSchemaRoot(List.of(field), List.<FieldVector>of(column), indices.length);
  }

  private static VarCharVector values(BufferAllocator allocator, String... values) {
    VarCharVector v = new VarCharVector("values", allocator);
    v.allocateNew();
    for (int i = 0; i < values.length; i++) {
      v.setSafe(i, values[i].getBytes(StandardCharsets.UTF_8));
    }
    v.setValueCount(values.length);
    return v;
  }

  /** Verifies that values and nulls decode as the indices say, into a plain utf8 column. */
  @Test
  void decodesValuesAndNulls() {
    try (RootAllocator allocator = TestAllocators.root();
         VarCharVector values = values(allocator, "forum", "sms", "ünï");
         VectorSchemaRoot batch = batch(allocator, 2, null, 0, 1, 2)) {
      DictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider(new Dictionary(values, ENCODING));
      Schema stored = DictionaryColumns.decodedSchema(batch.getSchema(), provider);
      try (VectorSchemaRoot plain = DictionaryColumns.decode(batch, provider, stored, UploadLimits.NONE, "d", allocator)) {
        VarCharVector c = (VarCharVector) plain.getVector("c");
        assertEquals(new ArrowType.Utf8(), c.getField().getType());
        assertEquals("ünï", c.getObject(0).toString());
        assertTrue(c.isNull(1));
        assertEquals("forum", c.getObject(2).toString());
        assertEquals("sms", c.getObject(3).toString());
        assertEquals("ünï", c.getObject(4).toString());
      }
    }
  }

  /**
   * Verifies that a batch decoding to more than limits.maxBatchBytes, and an index outside the dictionary,
   * are INVALID_ARGUMENT before a byte is allocated (the allocator may not allocate any).
   */
  @Test
  void refusesBeforeAllocating() {
    try (RootAllocator allocator = TestAllocators.root();
         VarCharVector values = values(allocator, "x".repeat(1000));
         VectorSchemaRoot batch = batch(allocator, 0, 0, 0, 0);
         VectorSchemaRoot outOfRange = batch(allocator, 0, 1);
         BufferAllocator none = allocator.newChildAllocator("nothing", 0, 0)) {
      DictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider(new Dictionary(values, ENCODING));
      Schema stored = DictionaryColumns.decodedSchema(batch.getSchema(), provider);
      LabelFlightException big = assertThrows(LabelFlightException.class,
          () -> DictionaryColumns.decode(batch, provider, stored, new UploadLimits(3_000, 3_000), "d", none));
      assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, big.kind());
      assertTrue(big.getMessage().contains("limits.maxBatchBytes = 3000"), big.getMessage());
      assertEquals(3_000L, big.details().get(LabelFlightException.Detail.LIMIT));
      assertTrue((Long) big.details().get(LabelFlightException.Detail.REQUESTED) > 4_000L, big.details().toString());
      LabelFlightException range = assertThrows(LabelFlightException.class,
          () -> DictionaryColumns.decode(outOfRange, provider, stored, UploadLimits.NONE, "d", none));
      assertTrue(range.getMessage().contains("entry 1") && range.getMessage().contains("1 entries"), range.getMessage());
      assertEquals(1L, range.details().get(LabelFlightException.Detail.ROW));
    }
  }
}
