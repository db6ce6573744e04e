package dev.labelflight.engine.store;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Accepts dictionary-encoded uploads by decoding them: a dictionary column is stored as the plain column
 * of its values, so every LF kind, sample and cache reads it like any other column.
 */
public final class DictionaryColumns {
  private DictionaryColumns() {}

  /** True if any top-level column is dictionary-encoded. */
  public static boolean any(Schema schema) {
    return schema.getFields().stream().anyMatch(f -> f.getDictionary() != null);
  }

  /** The schema as stored: each dictionary column replaced by a column of its value type. */
  public static Schema decodedSchema(Schema schema, DictionaryProvider dictionaries) {
    List<Field> fields = new ArrayList<>(schema.getFields().size());
    for (Field f : schema.getFields()) {
      if (f.getDictionary() == null) {
        fields.add(f);
        continue;
      }
      Field values = dictionary(f, dictionaries).getVector().getField();
      if (values.getDictionary() != null) {
        throw LabelFlightException.invalid("column '" + f.getName() + "' has a dictionary of a dictionary");
      }
      fields.add(new Field(f.getName(), new FieldType(f.isNullable(), values.getType(), null, f.getMetadata()),
          values.getChildren()));
    }
    return new Schema(fields, schema.getCustomMetadata());
  }

  /**
   * A new root (owned by the caller) of schema {@code stored} (from {@link #decodedSchema}) with the
   * batch's dictionary columns decoded and the others copied.
   */
  public static VectorSchemaRoot decode(VectorSchemaRoot batch, DictionaryProvider dictionaries, Schema stored,
      BufferAllocator allocator) {
    List<FieldVector> vectors = new ArrayList<>();
    try {
      List<FieldVector> columns = batch.getFieldVectors();
      for (int i = 0; i < columns.size(); i++) {
        FieldVector v = columns.get(i);
        Field f = v.getField();
        if (f.getDictionary() == null) {
          var transfer = v.getTransferPair(allocator);
          transfer.splitAndTransfer(0, batch.getRowCount());
          vectors.add((FieldVector) transfer.getTo());
          continue;
        }
        FieldVector target = stored.getFields().get(i).createVector(allocator);
        vectors.add(target);
        try (ValueVector decoded = DictionaryEncoder.decode(v, dictionary(f, dictionaries), allocator)) {
          decoded.makeTransferPair(target).transfer();
        }
      }
      return new VectorSchemaRoot(stored.getFields(), vectors, batch.getRowCount());
    } catch (RuntimeException e) {
      vectors.forEach(FieldVector::close);
      if (e instanceof LabelFlightException) {
        throw e;
      }
      throw LabelFlightException.invalid("cannot decode the dictionary columns of a batch: " + e.getMessage());
    }
  }

  private static Dictionary dictionary(Field f, DictionaryProvider dictionaries) {
    Dictionary d = dictionaries == null ? null : dictionaries.lookup(f.getDictionary().getId());
    if (d == null) {
      throw LabelFlightException.invalid("column '" + f.getName() + "' refers to dictionary "
          + f.getDictionary().getId() + ", which the stream did not send");
    }
    return d;
  }
}
