package dev.labelflight.engine.browse;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.derive.DerivedColumnStore;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.Manifest;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/** The list of stored datasets as the UI shows it: name, versions, rows and schema of the newest version. Blocking. */
public final class DatasetCatalog {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final DatasetStore store;

  public DatasetCatalog(DatasetStore store) {
    this.store = store;
  }

  /**
   * {@code {"datasets": [{"name", "version", "versions": [..], "rows", "chunks", "createdAt",
   * "fields": [{"name", "type", "nullable"}]}]}}, sorted by name.
   */
  public ObjectNode list() {
    return list(null);
  }

  /** As {@link #list()}, only {@code owner}'s datasets ({@code null}: the unowned ones), by the names their owner uses. */
  public ObjectNode list(String owner) {
    ArrayNode datasets = NODES.arrayNode();
    for (String name : store.names()) {
      if (!dev.labelflight.engine.store.DatasetNames.ownedBy(name, owner)) {
        continue;
      }
      Manifest manifest = store.manifest(name, null);
      datasets.add(describe(manifest, new DerivedColumnStore(store).schema(manifest), store.versions(name)));
    }
    return NODES.objectNode().set("datasets", datasets);
  }

  static ObjectNode describe(Manifest manifest, Schema schema, java.util.List<Integer> versions) {
    ObjectNode json = NODES.objectNode()
        .put("name", dev.labelflight.engine.store.DatasetNames.display(manifest.name()))
        .put("version", manifest.version())
        .put("rows", manifest.rows())
        .put("chunks", manifest.chunks().size())
        .put("createdAt", manifest.createdAt());
    ArrayNode list = json.putArray("versions");
    versions.forEach(list::add);
    json.set("fields", fields(schema));
    return json;
  }

  /**
   * The columns of a dataset version (derived ones included): name, Arrow type as text, nullability. The
   * stored index of an uploaded DataFrame is no data column: it is left out (rows carry it as {@code _index}).
   */
  public static ArrayNode fields(Schema schema) {
    ArrayNode fields = NODES.arrayNode();
    for (Field field : schema.getFields()) {
      if (dev.labelflight.engine.store.ColumnTypes.isIndexColumn(field.getName())) {
        continue;
      }
      fields.add(NODES.objectNode()
          .put("name", field.getName())
          .put("type", typeName(field))
          .put("nullable", field.isNullable()));
    }
    return fields;
  }

  static String typeName(Field field) {
    return switch (field.getType().getTypeID()) {
      case Utf8 -> "utf8";
      case LargeUtf8 -> "large_utf8";
      case Bool -> "bool";
      case Int -> "int" + ((org.apache.arrow.vector.types.pojo.ArrowType.Int) field.getType()).getBitWidth();
      case FloatingPoint -> switch (((org.apache.arrow.vector.types.pojo.ArrowType.FloatingPoint) field.getType()).getPrecision()) {
        case SINGLE -> "float32";
        case DOUBLE -> "float64";
        case HALF -> "float16";
      };
      case FixedSizeList -> "fixed_size_list<float32>["
          + ((org.apache.arrow.vector.types.pojo.ArrowType.FixedSizeList) field.getType()).getListSize() + "]";
      default -> field.getType().toString();
    };
  }
}
