package dev.labelflight.engine.browse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Turns rows of an Arrow chunk into JSON objects for the browser: one field per column, nulls as null,
 * long text cut to {@link #MAX_TEXT} characters, non-finite floats as strings (JSON has no NaN).
 * Only for the few rows a page shows; not a hot path.
 */
public final class RowJson {
  /** Longest text value sent to the browser; longer values end with an ellipsis. */
  public static final int MAX_TEXT = 2000;
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private RowJson() {}

  /**
   * The row at {@code index} of {@code root}, as a JSON object. The stored index of an uploaded DataFrame
   * (reserved {@code __index_level_N__} columns) is not data: it comes as {@code _index}, the value of its
   * one level or a list of its levels.
   */
  public static ObjectNode row(VectorSchemaRoot root, int index) {
    ObjectNode row = NODES.objectNode();
    ArrayNode levels = null;
    for (FieldVector vector : root.getFieldVectors()) {
      if (dev.labelflight.engine.store.ColumnTypes.isIndexColumn(vector.getName())) {
        levels = levels == null ? NODES.arrayNode() : levels;
        levels.add(value(vector.getObject(index)));
        continue;
      }
      row.set(vector.getName(), value(vector.getObject(index)));
    }
    if (levels != null) {
      row.set("_index", levels.size() == 1 ? levels.get(0) : levels);
    }
    return row;
  }

  static JsonNode value(Object value) {
    if (value == null) {
      return NODES.nullNode();
    }
    if (value instanceof Boolean b) {
      return NODES.booleanNode(b);
    }
    if (value instanceof Long l) {
      return NODES.numberNode(l);
    }
    if (value instanceof Number n && !(value instanceof Double) && !(value instanceof Float)) {
      return NODES.numberNode(n.longValue());
    }
    if (value instanceof Number n) {
      double d = n.doubleValue();
      return Double.isFinite(d) ? NODES.numberNode(d) : NODES.textNode(Double.toString(d));
    }
    if (value instanceof List<?> list) {
      ArrayNode array = NODES.arrayNode(list.size());
      for (Object item : list) {
        array.add(value(item));
      }
      return array;
    }
    String text = value.toString();
    return NODES.textNode(text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) + "…" : text);
  }
}
