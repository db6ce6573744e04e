package dev.labelflight.flight.datasets;

import dev.labelflight.engine.error.LabelFlightException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The {@code ?columns=A,B} part of a dataset ticket: which columns of a stored version to stream (names
 * percent-encoded, comma-separated, in the order wanted). The schema keeps the version's custom metadata.
 */
final class DatasetProjection {
  private DatasetProjection() {}

  /** Indexes in {@code schema} of the columns the query names; INVALID_ARGUMENT for an unknown one. */
  static List<Integer> columns(Schema schema, String query) {
    if (!query.startsWith("columns=") || query.length() == "columns=".length()) {
      throw LabelFlightException.invalid("dataset ticket takes ?columns=A,B (percent-encoded names); got '?" + query + "'");
    }
    List<String> names = schema.getFields().stream().map(Field::getName).toList();
    List<Integer> out = new ArrayList<>();
    for (String encoded : query.substring("columns=".length()).split(",", -1)) {
      String name = URLDecoder.decode(encoded, StandardCharsets.UTF_8);
      int index = names.indexOf(name);
      if (index < 0) {
        throw LabelFlightException.invalid("unknown column '" + name + "' in dataset ticket")
            .withDetail(LabelFlightException.Detail.FIELD, name);
      }
      out.add(index);
    }
    return out;
  }

  static Schema schema(Schema full, List<Integer> columns) {
    return new Schema(columns.stream().map(full.getFields()::get).toList(), full.getCustomMetadata());
  }

  /** A root of the chosen vectors of {@code chunk}, which it takes over; the others are freed. */
  static VectorSchemaRoot take(VectorSchemaRoot chunk, Schema schema, List<Integer> columns) {
    List<FieldVector> vectors = columns.stream().map(chunk::getVector).toList();
    for (int i = 0; i < chunk.getFieldVectors().size(); i++) {
      if (!columns.contains(i)) {
        chunk.getVector(i).close();
      }
    }
    return new VectorSchemaRoot(schema, vectors, chunk.getRowCount());
  }
}
