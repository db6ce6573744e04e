package dev.labelflight.engine.review;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.derive.DerivedColumn;
import dev.labelflight.engine.derive.DerivedColumnStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.CompiledLfSet;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfKind;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.Manifest;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Searches a text column with a keyword or regex LF: the LF is compiled and run by the LF engine itself
 * ({@link LfCompiler}), chunk by chunk, so a hit is exactly a row the LF would vote on. Answers the hit
 * count, the requested page of hits with their spans, the LF's coverage, and, with gold and the class the
 * LF would vote, its accuracy on the gold rows it covers (the estimate a user sees before saving it as an
 * LF), with a 95% Wilson interval. Memory: one data chunk and the page. Blocking (disk, CPU).
 */
public final class TextSearch {
  /** Most rows one page may ask for. */
  public static final int MAX_LIMIT = 100;
  /** The class a search without a label space votes. */
  static final String MATCH = "match";
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final DatasetStore datasets;
  private final LfCompiler compiler;
  private final LfLimits limits;

  public TextSearch(DatasetStore datasets, LfCompiler compiler, LfLimits limits) {
    this.datasets = datasets;
    this.compiler = compiler;
    this.limits = limits;
  }

  /**
   * A search: a keyword or regex LF spec ({@code label} one of {@code labels} when accuracy is wanted; with
   * {@code labels} null the search votes a class of its own) and the page of hits.
   */
  public record Query(LfSpec lf, List<String> labels, long offset, int limit) {
    public Query {
      if (lf.kind() != LfKind.KEYWORD && lf.kind() != LfKind.REGEX) {
        throw LabelFlightException.invalid("search takes a keyword or regex LF, not '" + lf.kind() + "'");
      }
      if (offset < 0) {
        throw LabelFlightException.invalid("'offset' must be >= 0, got " + offset);
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        throw LabelFlightException.invalid("'limit' must be between 1 and " + MAX_LIMIT + ", got " + limit);
      }
    }
  }

  /**
   * {@code {"dataset", "version", "rows", "matches", "coverage", "offset", "limit", "hits": [{"row_id",
   * "row", "spans"}], "gold"?: {"name", "label", "labelled", "covered", "correct", "accuracy"?, "low"?,
   * "high"?}}}: {@code labelled} rows with gold, {@code covered} of them hit, {@code correct} of those
   * with gold equal to the LF's class. {@code gold} may be null.
   */
  public ObjectNode search(Query q, Manifest manifest, Gold gold, BufferAllocator allocator) {
    LabelSpace space;
    LfSpec spec = q.lf();
    if (q.labels() == null) {
      space = new LabelSpace(List.of(MATCH));
      ObjectNode json = spec.json().deepCopy().put("label", MATCH);
      spec = new LfSpec(spec.name(), spec.kind(), json);
    } else {
      space = new LabelSpace(q.labels());
    }
    DerivedColumnStore derived = new DerivedColumnStore(datasets);
    List<DerivedColumn> derivedColumns = derived.columns(manifest);
    CompiledLfSet compiled = compiler.compile(List.of(spec), space, DerivedColumnStore.schema(manifest, derivedColumns));
    int label = q.labels() == null ? -1 : space.classOf(spec);
    RowHighlights highlights = new RowHighlights(List.of(spec), limits);
    int[] self = {0};
    ArrayNode hits = NODES.arrayNode();
    long matches = 0;
    long labelled = 0;
    long covered = 0;
    long correct = 0;
    for (Manifest.Chunk info : manifest.chunks()) {
      try (VectorSchemaRoot data = derived.readChunk(manifest, derivedColumns, info.index(), allocator)) {
        byte[] votes = compiled.evaluate(data)[0];
        short[] g = gold != null && gold.any(info.firstRow(), info.rows()) ? gold.read(data, info.firstRow(), info.rows()) : null;
        List<Integer> page = new ArrayList<>();
        for (int r = 0; r < votes.length; r++) {
          boolean hit = votes[r] != LabelSpace.ABSTAIN;
          if (g != null && g[r] >= 0) {
            labelled++;
            if (hit) {
              covered++;
              if (g[r] == label) {
                correct++;
              }
            }
          }
          if (!hit) {
            continue;
          }
          if (matches >= q.offset() && hits.size() + page.size() < q.limit()) {
            page.add(r);
          }
          matches++;
        }
        for (int r : page) {
          ObjectNode hit = NODES.objectNode().put("row_id", info.firstRow() + r);
          if (g != null) {
            hit.put("gold", g[r]);
          }
          hits.add(highlights.row(data, r, self, hit));
        }
      }
    }
    ObjectNode result = NODES.objectNode()
        .put("dataset", DatasetNames.display(manifest.name()))
        .put("version", manifest.version())
        .put("rows", manifest.rows())
        .put("matches", matches)
        .put("coverage", manifest.rows() == 0 ? 0.0 : (double) matches / manifest.rows())
        .put("offset", q.offset())
        .put("limit", q.limit());
    result.set("hits", hits);
    if (gold != null) {
      ObjectNode stats = result.putObject("gold").put("name", gold.name()).put("labelled", labelled).put("covered", covered);
      if (label >= 0) {
        stats.put("label", q.labels().get(label)).put("correct", correct);
        if (covered > 0) {
          double p = (double) correct / covered;
          double[] interval = wilson(correct, covered);
          stats.put("accuracy", p).put("low", interval[0]).put("high", interval[1]);
        }
      }
    }
    return result;
  }

  /** The 95% Wilson score interval of {@code k} successes in {@code n} trials. */
  static double[] wilson(long k, long n) {
    double z = 1.959964;
    double p = (double) k / n;
    double denominator = 1 + z * z / n;
    double centre = (p + z * z / (2.0 * n)) / denominator;
    double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / denominator;
    return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
  }
}
