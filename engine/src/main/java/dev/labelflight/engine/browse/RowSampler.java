package dev.labelflight.engine.browse;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.derive.DerivedColumn;
import dev.labelflight.engine.derive.DerivedColumnStore;
import dev.labelflight.engine.memory.footprint.BrowseFootprint;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.Manifest;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A page of a dataset's rows as JSON, reading only the chunks that hold the page. Blocking (disk).
 */
public final class RowSampler {
  /** Most rows one page may ask for. */
  public static final int MAX_LIMIT = 200;
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final DatasetStore store;

  public RowSampler(DatasetStore store) {
    this.store = store;
  }

  /** Checks a page request; INVALID_ARGUMENT names the bad field. */
  public static void validate(long offset, int limit) {
    if (offset < 0) {
      throw LabelFlightException.invalid("'offset' must be >= 0, got " + offset);
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw LabelFlightException.invalid("'limit' must be between 1 and " + MAX_LIMIT + ", got " + limit);
    }
  }

  /** Indexes of the chunks holding rows {@code [offset, offset + limit)}. */
  public static List<Integer> chunksFor(Manifest manifest, long offset, int limit) {
    List<Integer> chunks = new ArrayList<>();
    long end = offset + limit;
    for (Manifest.Chunk chunk : manifest.chunks()) {
      if (chunk.firstRow() < end && chunk.firstRow() + chunk.rows() > offset) {
        chunks.add(chunk.index());
      }
    }
    return chunks;
  }

  /** Bytes to reserve before reading the given chunks: see {@link BrowseFootprint#page}. */
  public long memoryEstimate(Manifest manifest, List<Integer> chunks) {
    return BrowseFootprint.page(manifest, chunks, new DerivedColumnStore(store).columns(manifest));
  }

  /**
   * {@code {"dataset", "version", "offset", "limit", "total", "fields", "rows": [{"_row": n, col: value, ...}]}};
   * an offset past the end gives no rows.
   */
  public ObjectNode page(Manifest manifest, long offset, int limit, BufferAllocator allocator) {
    validate(offset, limit);
    ObjectNode page = NODES.objectNode()
        .put("dataset", dev.labelflight.engine.store.DatasetNames.display(manifest.name()))
        .put("version", manifest.version())
        .put("offset", offset)
        .put("limit", limit)
        .put("total", manifest.rows());
    DerivedColumnStore derived = new DerivedColumnStore(store);
    List<DerivedColumn> derivedColumns = derived.columns(manifest);
    page.set("fields", DatasetCatalog.fields(DerivedColumnStore.schema(manifest, derivedColumns)));
    ArrayNode rows = page.putArray("rows");
    long end = offset + limit;
    for (int index : chunksFor(manifest, offset, limit)) {
      Manifest.Chunk chunk = manifest.chunk(index);
      try (VectorSchemaRoot root = derived.readChunk(manifest, derivedColumns, index, allocator)) {
        int from = (int) Math.max(0, offset - chunk.firstRow());
        int to = (int) Math.min(chunk.rows(), end - chunk.firstRow());
        for (int i = from; i < to; i++) {
          ObjectNode row = NODES.objectNode().put("_row", chunk.firstRow() + i);
          row.setAll(RowJson.row(root, i));
          rows.add(row);
        }
      }
    }
    return page;
  }
}
