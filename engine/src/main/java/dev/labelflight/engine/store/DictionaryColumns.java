package dev.labelflight.engine.store;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Detail;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Accepts dictionary-encoded uploads by decoding them: a dictionary column is stored as the plain column
 * of its values, so every LF kind, sample and cache reads it like any other column. A batch's decoded size
 * is computed from its indices and the dictionary before anything is allocated, so a small message that
 * would decode to gigabytes is refused (INVALID_ARGUMENT naming {@code limits.maxBatchBytes}) instead of
 * running the node out of memory; each decoded column is allocated once, at its exact size, and freed if
 * anything fails.
 */
public final class DictionaryColumns {
  /** The most bytes a column with 32-bit offsets (utf8, binary) can hold. */
  private static final long MAX_OFFSET_BYTES = Integer.MAX_VALUE;

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
   * batch's dictionary columns decoded and the others moved over. Refuses, before allocating, a batch that
   * would decode to more than {@code limits.maxBatchBytes()} and indices outside their dictionary;
   * {@code name} is the dataset's, for messages.
   */
  public static VectorSchemaRoot decode(VectorSchemaRoot batch, DictionaryProvider dictionaries, Schema stored,
      UploadLimits limits, String name, BufferAllocator allocator) {
    List<FieldVector> columns = batch.getFieldVectors();
    int rows = batch.getRowCount();
    long[] decodedBytes = new long[columns.size()];
    long total = 0;
    for (int i = 0; i < columns.size(); i++) {
      FieldVector v = columns.get(i);
      decodedBytes[i] = v.getField().getDictionary() == null ? v.getBufferSize()
          : decodedSize(name, v, dictionary(v.getField(), dictionaries).getVector(), rows);
      total += decodedBytes[i];
    }
    if (total > limits.maxBatchBytes()) {
      throw LabelFlightException.invalid("upload of '" + DatasetNames.display(name) + "': a record batch of " + rows
          + " rows decodes (its dictionary columns expanded) to " + total + " bytes, more than limits.maxBatchBytes = "
          + limits.maxBatchBytes() + "; send smaller batches")
          .withDetail(Detail.LIMIT, limits.maxBatchBytes()).withDetail(Detail.REQUESTED, total)
          .withDetail(Detail.UNIT, "bytes");
    }
    List<FieldVector> vectors = new ArrayList<>();
    try {
      for (int i = 0; i < columns.size(); i++) {
        FieldVector v = columns.get(i);
        if (v.getField().getDictionary() == null) {
          var transfer = v.getTransferPair(allocator);
          transfer.splitAndTransfer(0, rows);
          vectors.add((FieldVector) transfer.getTo());
          continue;
        }
        FieldVector target = stored.getFields().get(i).createVector(allocator);
        vectors.add(target);
        decodeInto((BaseIntVector) v, dictionary(v.getField(), dictionaries).getVector(), target, rows);
      }
      return new VectorSchemaRoot(stored.getFields(), vectors, rows);
    } catch (RuntimeException e) {
      vectors.forEach(FieldVector::close);
      if (e instanceof LabelFlightException) {
        throw e;
      }
      throw LabelFlightException.invalid("cannot decode the dictionary columns of a batch of '"
          + DatasetNames.display(name) + "': " + e.getMessage());
    }
  }

  /**
   * The bytes a dictionary column takes decoded (values, offsets, validity), from one pass over its
   * indices; INVALID_ARGUMENT for an index outside the dictionary.
   */
  private static long decodedSize(String name, FieldVector column, FieldVector values, int rows) {
    if (!(column instanceof BaseIntVector indices)) {
      throw LabelFlightException.invalid("column '" + column.getName() + "' is dictionary-encoded with non-integer indices");
    }
    int entries = values.getValueCount();
    long validity = (rows + 7L) / 8;
    long variable = 0;
    for (int row = 0; row < rows; row++) {
      if (column.isNull(row)) {
        continue;
      }
      long index = indices.getValueAsLong(row);
      if (index < 0 || index >= entries) {
        throw LabelFlightException.invalid("upload of '" + DatasetNames.display(name) + "': row " + row
            + " of a batch refers to entry " + index + " of column '" + column.getName() + "''s dictionary, which has "
            + entries + " entries").withDetail(Detail.ROW, (long) row);
      }
      if (values instanceof BaseVariableWidthVector v && !v.isNull((int) index)) {
        variable += v.getValueLength((int) index);
      } else if (values instanceof BaseLargeVariableWidthVector v && !v.isNull((int) index)) {
        variable += v.getValueLength((int) index);
      }
    }
    if (values instanceof BaseVariableWidthVector) {
      if (variable > MAX_OFFSET_BYTES) {
        throw LabelFlightException.invalid("upload of '" + DatasetNames.display(name) + "': column '" + column.getName()
            + "' of a batch decodes to " + variable + " bytes of values, more than a column with 32-bit offsets holds;"
            + " send smaller batches").withDetail(Detail.LIMIT, MAX_OFFSET_BYTES).withDetail(Detail.REQUESTED, variable)
            .withDetail(Detail.UNIT, "bytes");
      }
      return variable + (rows + 1L) * BaseVariableWidthVector.OFFSET_WIDTH + validity;
    }
    if (values instanceof BaseLargeVariableWidthVector) {
      return variable + (rows + 1L) * BaseLargeVariableWidthVector.OFFSET_WIDTH + validity;
    }
    if (values instanceof BitVector) {
      return 2 * validity;
    }
    if (values instanceof BaseFixedWidthVector v) {
      return (long) rows * v.getTypeWidth() + validity;
    }
    // Nested values (lists, structs): their average size per entry, times the rows.
    return entries == 0 ? validity : (long) Math.ceil((double) values.getBufferSize() / entries * rows) + validity;
  }

  /** Fills {@code target} with the dictionary values the indices name, allocated once at the decoded size. */
  private static void decodeInto(BaseIntVector indices, FieldVector values, FieldVector target, int rows) {
    FieldVector column = (FieldVector) indices;
    if (target instanceof BaseVariableWidthVector t && values instanceof BaseVariableWidthVector v) {
      t.allocateNew(Math.max(1, variableBytes(column, v, rows)), rows);
    } else if (target instanceof BaseLargeVariableWidthVector t && values instanceof BaseLargeVariableWidthVector v) {
      t.allocateNew(Math.max(1, variableBytes(column, v, rows)), rows);
    } else {
      target.setInitialCapacity(rows);
      target.allocateNew();
    }
    for (int row = 0; row < rows; row++) {
      if (!column.isNull(row)) {
        target.copyFromSafe((int) indices.getValueAsLong(row), row, values);
      }
    }
    target.setValueCount(rows);
  }

  private static long variableBytes(FieldVector column, FieldVector values, int rows) {
    long bytes = 0;
    for (int row = 0; row < rows; row++) {
      if (!column.isNull(row)) {
        int index = (int) ((BaseIntVector) column).getValueAsLong(row);
        if (!values.isNull(index)) {
          bytes += values instanceof BaseVariableWidthVector v ? v.getValueLength(index)
              : ((BaseLargeVariableWidthVector) values).getValueLength(index);
        }
      }
    }
    return bytes;
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
