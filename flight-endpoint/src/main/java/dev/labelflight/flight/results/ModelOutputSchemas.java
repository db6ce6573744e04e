package dev.labelflight.flight.results;

import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** The schemas of a label model's output streams. */
final class ModelOutputSchemas {
  private ModelOutputSchemas() {}

  /** {@code row_id} and one float32 column per class. */
  static Schema probabilities(List<String> classes) {
    List<Field> fields = new ArrayList<>();
    fields.add(new Field(LabelStore.ROW_ID, FieldType.notNullable(new ArrowType.Int(64, true)), null));
    for (String c : classes) {
      if (c.equals(LabelStore.ROW_ID)) {
        throw LabelFlightException.invalid("a class named 'row_id' clashes with the row id column");
      }
      fields.add(new Field(c, FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null));
    }
    return new Schema(fields);
  }

  /** {@code row_id} and the predicted class index {@code label}, int16 when {@code wide} (over 127 classes). */
  static Schema predictions(boolean wide) {
    return new Schema(List.of(
        new Field(LabelStore.ROW_ID, FieldType.notNullable(new ArrowType.Int(64, true)), null),
        new Field("label", FieldType.notNullable(new ArrowType.Int(wide ? 16 : 8, true)), null)));
  }
}
