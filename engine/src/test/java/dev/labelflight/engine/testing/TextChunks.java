package dev.labelflight.engine.testing;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Chunks of one text column {@code t} (null rows where the string is null) and an int64 column {@code n} (the row). */
public final class TextChunks {
  public static final Schema SCHEMA = new Schema(List.of(
      new Field("t", FieldType.nullable(new ArrowType.Utf8()), null),
      new Field("n", FieldType.nullable(new ArrowType.Int(64, true)), null)));

  private TextChunks() {}

  public static VectorSchemaRoot of(BufferAllocator allocator, String... rows) {
    VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
    VarCharVector t = (VarCharVector) root.getVector("t");
    BigIntVector n = (BigIntVector) root.getVector("n");
    t.allocateNew();
    n.allocateNew(rows.length);
    for (int i = 0; i < rows.length; i++) {
      if (rows[i] == null) {
        t.setNull(i);
      } else {
        t.setSafe(i, rows[i].getBytes(StandardCharsets.UTF_8));
      }
      n.set(i, i);
    }
    root.setRowCount(rows.length);
    return root;
  }
}
