package dev.labelflight.engine.browse;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.Manifest;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Finds example rows of a finished (or partly finished) job: rows where one LF fires, or where two LFs
 * both vote and disagree. Every label chunk is scanned to count the matches; dataset chunks are read only
 * until {@code limit} examples are found. Blocking (disk).
 */
public final class ExampleFinder {
  /** Most examples one request may ask for. */
  public static final int MAX_LIMIT = 100;
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final DatasetStore datasets;
  private final LabelStore labels;

  public ExampleFinder(DatasetStore datasets, LabelStore labels) {
    this.datasets = datasets;
    this.labels = labels;
  }

  /** What to look for: rows where {@code lf} fires, or, with {@code other}, where the two conflict. */
  public record Query(String job, String lf, String other, int limit) {
    public Query {
      if (lf == null || lf.isEmpty()) {
        throw LabelFlightException.invalid("missing 'lf'");
      }
      if (lf.equals(other)) {
        throw LabelFlightException.invalid("'other' must name a different LF than 'lf'");
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        throw LabelFlightException.invalid("'limit' must be between 1 and " + MAX_LIMIT + ", got " + limit);
      }
    }
  }

  /**
   * Scans the label chunks {@code files} (chunk i's size and checksum, in chunk order) of a job over
   * {@code manifest} whose LFs are {@code lfNames}. Answers {@code {"job", "lf", "other"?, "mode":
   * "fires"|"conflicts", "matches", "chunksScanned", "examples": [{"row_id", "votes": {lf: v, ...},
   * "row": {..}}]}} with votes as class indexes.
   */
  public ObjectNode find(Query query, Manifest manifest, List<String> lfNames, List<AtomicFiles.Written> files,
      BufferAllocator allocator) {
    int a = column(lfNames, query.lf());
    int b = query.other() == null ? -1 : column(lfNames, query.other());
    ObjectNode result = NODES.objectNode().put("job", query.job()).put("lf", query.lf());
    if (b >= 0) {
      result.put("other", query.other());
    }
    result.put("mode", b >= 0 ? "conflicts" : "fires");
    ArrayNode examples = NODES.arrayNode();
    long matches = 0;
    int[] hits = new int[query.limit()];
    for (int chunk = 0; chunk < files.size(); chunk++) {
      try (VectorSchemaRoot votes = labels.read(query.job(), chunk, files.get(chunk), allocator)) {
        BaseIntVector first = (BaseIntVector) votes.getVector(a + 1);
        BaseIntVector second = b >= 0 ? (BaseIntVector) votes.getVector(b + 1) : null;
        int rows = votes.getRowCount();
        int found = 0;
        for (int i = 0; i < rows; i++) {
          long x = first.getValueAsLong(i);
          long y = second == null ? -1 : second.getValueAsLong(i);
          boolean match = second == null ? x != -1 : x != -1 && y != -1 && x != y;
          if (match) {
            matches++;
            if (examples.size() + found < query.limit()) {
              hits[found++] = i;
            }
          }
        }
        if (found > 0) {
          addExamples(examples, manifest, chunk, hits, found, first, second, query);
        }
      }
    }
    result.put("matches", matches).put("chunksScanned", files.size());
    result.set("examples", examples);
    return result;
  }

  private void addExamples(ArrayNode examples, Manifest manifest, int chunk, int[] hits, int found,
      BaseIntVector first, BaseIntVector second, Query query) {
    long firstRow = manifest.chunk(chunk).firstRow();
    try (VectorSchemaRoot rows = datasets.readChunk(manifest, chunk, first.getAllocator())) {
      for (int k = 0; k < found; k++) {
        int i = hits[k];
        ObjectNode example = NODES.objectNode().put("row_id", firstRow + i);
        ObjectNode votes = example.putObject("votes").put(query.lf(), first.getValueAsLong(i));
        if (second != null) {
          votes.put(query.other(), second.getValueAsLong(i));
        }
        example.set("row", RowJson.row(rows, i));
        examples.add(example);
      }
    }
  }

  private static int column(List<String> lfNames, String lf) {
    int index = lfNames.indexOf(lf);
    if (index < 0) {
      throw LabelFlightException.notFound("LF '" + lf + "' is not part of this job (its LFs: " + lfNames + ")");
    }
    return index;
  }
}
