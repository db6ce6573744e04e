package dev.labelflight.engine.review;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.derive.DerivedColumn;
import dev.labelflight.engine.derive.DerivedColumnStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.Manifest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Pages through the rows of a finished job that an error-analysis view lists ({@link ReviewView}): one pass
 * over the job's label chunks in row order, a columnar pass per LF column where the view needs every LF,
 * gold only for chunks that have any (the dev set's chunks, or every chunk of a gold column), the label
 * model's probabilities only where the view or a confidence filter needs them. Every matching row is
 * counted; only the requested page is kept, and dataset chunks are read only for gold columns and for the
 * page's rows. Memory: one label chunk, one data chunk and the page. Blocking (disk).
 */
public final class ReviewFinder {
  /** Label values per slice copied for the label model (4 MiB of shorts). */
  private static final int SLICE_VALUES = 2 << 20;
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final DatasetStore datasets;
  private final LabelStore labels;
  private final LfLimits limits;

  public ReviewFinder(DatasetStore datasets, LabelStore labels, LfLimits limits) {
    this.datasets = datasets;
    this.labels = labels;
    this.limits = limits;
  }

  /**
   * A finished single-label job: its dataset version, LF names and specs (in label-column order), classes,
   * and the size and checksum of each label chunk.
   */
  public record JobView(String id, Manifest manifest, List<String> lfs, List<LfSpec> specs, List<String> classes,
      List<AtomicFiles.Written> files) {}

  /**
   * {@code {"job", "view", "total", "offset", "limit", "gold"?, "model"?, "rows": [{"row_id", "votes": {LF:
   * class}, "gold"?, "predicted"?, "confidence"?, "row": {...}, "spans": [...]}]}}, votes, gold and
   * predictions as class indexes ({@code predicted} -1: the model's top classes tie). {@code gold} and
   * {@code model} may be null unless the view or a filter needs them (INVALID_ARGUMENT says which).
   */
  public ObjectNode find(ReviewQuery q, JobView job, Gold gold, ModelScores model, BufferAllocator allocator) {
    check(q, job, gold, model);
    ObjectNode result = NODES.objectNode().put("job", job.id()).put("view", q.view().id());
    if (gold != null) {
      result.put("gold", gold.name());
    }
    if (model != null) {
      result.put("model", model.id());
    }
    RowHighlights highlights = new RowHighlights(job.specs(), limits);
    DerivedColumnStore derived = new DerivedColumnStore(datasets);
    List<DerivedColumn> derivedColumns = derived.columns(job.manifest());
    ArrayNode rows = NODES.arrayNode();
    long total = 0;
    int lfCount = job.lfs().size();
    boolean needGold = gold != null && (q.view().needsGold() || q.view() == ReviewView.UNCOVERED && q.cls() >= 0);
    boolean needModel = model != null && (q.view().needsModel() || q.filtersConfidence());
    for (int chunk = 0; chunk < job.files().size(); chunk++) {
      Manifest.Chunk info = job.manifest().chunk(chunk);
      int n = info.rows();
      if (needGold && q.view().needsGold() && !gold.any(info.firstRow(), n)) {
        continue; // no dev label in this chunk: nothing to check, nothing to read
      }
      VectorSchemaRoot data = null;
      try (VectorSchemaRoot votes = labels.read(job.id(), chunk, job.files().get(chunk), allocator)) {
        if (needGold && gold.readsData()) {
          data = derived.readChunk(job.manifest(), derivedColumns, chunk, allocator);
        }
        short[] g = needGold ? gold.read(data, info.firstRow(), n) : null;
        BaseIntVector[] columns = new BaseIntVector[lfCount];
        for (int j = 0; j < lfCount; j++) {
          columns[j] = (BaseIntVector) votes.getVector(j + 1);
        }
        Scan scan = new Scan(n);
        if (q.view() == ReviewView.UNCOVERED || q.view() == ReviewView.CONFLICTS) {
          scan.classes(columns, q.cls());
        }
        if (needModel) {
          scan.predict(votes, model, lfCount);
        }
        List<Integer> page = new ArrayList<>();
        for (int r = 0; r < n; r++) {
          if (!matches(q, r, columns, g, scan)) {
            continue;
          }
          if (total >= q.offset() && rows.size() + page.size() < q.limit()) {
            page.add(r);
          }
          total++;
        }
        if (!page.isEmpty()) {
          if (data == null) {
            data = derived.readChunk(job.manifest(), derivedColumns, chunk, allocator);
          }
          for (int r : page) {
            rows.add(row(job, info.firstRow() + r, r, columns, g, scan, data, highlights));
          }
        }
      } finally {
        if (data != null) {
          data.close();
        }
      }
    }
    result.put("total", total).put("offset", q.offset()).put("limit", q.limit());
    result.set("rows", rows);
    return result;
  }

  private static void check(ReviewQuery q, JobView job, Gold gold, ModelScores model) {
    if (q.view().needsGold() && gold == null) {
      throw LabelFlightException.invalid("view '" + q.view().id() + "' needs 'gold': a gold column or \"@dev\"");
    }
    if (q.view().needsModel() && model == null) {
      throw LabelFlightException.invalid("view '" + q.view().id() + "' needs 'model': a label model fitted on the job");
    }
    if (q.filtersConfidence() && model == null) {
      throw LabelFlightException.invalid("a confidence filter needs 'model': a label model fitted on the job");
    }
    if (q.view() == ReviewView.UNCOVERED && q.lf() >= 0) {
      throw LabelFlightException.invalid("view 'uncovered' lists rows no LF votes on: it takes no 'lf'");
    }
    if (q.view() == ReviewView.UNCOVERED && q.cls() >= 0 && gold == null) {
      throw LabelFlightException.invalid("'class' filters uncovered rows by their gold class: give 'gold'");
    }
    if (q.lf() >= job.lfs().size() || q.cls() >= job.classes().size()) {
      throw LabelFlightException.invalid("'lf' or 'class' is out of range");
    }
  }

  private static boolean matches(ReviewQuery q, int r, BaseIntVector[] columns, short[] g, Scan scan) {
    int gold = g == null ? -1 : g[r];
    boolean match = switch (q.view()) {
      case LF_WRONG -> {
        long v = columns[q.lf()].getValueAsLong(r);
        yield gold >= 0 && v >= 0 && v != gold && (q.cls() < 0 || gold == q.cls());
      }
      case MODEL_WRONG -> gold >= 0 && scan.predicted[r] != gold && (q.cls() < 0 || gold == q.cls())
          && (q.lf() < 0 || columns[q.lf()].getValueAsLong(r) >= 0);
      case UNCOVERED -> scan.first[r] < 0 && (q.cls() < 0 || gold == q.cls());
      case CONFLICTS -> scan.conflict[r] && (q.cls() < 0 || scan.votedClass[r])
          && (q.lf() < 0 || columns[q.lf()].getValueAsLong(r) >= 0);
    };
    if (match && scan.confidence != null) {
      double c = scan.confidence[r];
      match = c >= q.minConfidence() && c <= q.maxConfidence();
    }
    return match;
  }

  private static ObjectNode row(JobView job, long rowId, int r, BaseIntVector[] columns, short[] g, Scan scan,
      VectorSchemaRoot data, RowHighlights highlights) {
    ObjectNode out = NODES.objectNode().put("row_id", rowId);
    ObjectNode votes = out.putObject("votes");
    List<String> voted = new ArrayList<>();
    for (int j = 0; j < columns.length; j++) {
      long v = columns[j].getValueAsLong(r);
      if (v >= 0) {
        votes.put(job.lfs().get(j), v);
        voted.add(job.lfs().get(j));
      }
    }
    if (g != null) {
      out.put("gold", g[r]);
    }
    if (scan.predicted != null) {
      out.put("predicted", scan.predicted[r]).put("confidence", scan.confidence[r]);
    }
    return highlights.row(data, r, highlights.positions(voted), out);
  }

  /** Per-row facts of one chunk, computed column by column. */
  private static final class Scan {
    private final int rows;
    /** The first class voted on each row, -1 for none. */
    int[] first;
    boolean[] conflict;
    /** Whether some LF voted the filtered class on the row. */
    boolean[] votedClass;
    int[] predicted;
    double[] confidence;

    Scan(int rows) {
      this.rows = rows;
    }

    void classes(BaseIntVector[] columns, int cls) {
      first = new int[rows];
      Arrays.fill(first, -1);
      conflict = new boolean[rows];
      votedClass = new boolean[rows];
      for (BaseIntVector column : columns) {
        for (int r = 0; r < rows; r++) {
          int v = (int) column.getValueAsLong(r);
          if (v < 0) {
            continue;
          }
          if (first[r] < 0) {
            first[r] = v;
          } else if (first[r] != v) {
            conflict[r] = true;
          }
          if (v == cls) {
            votedClass[r] = true;
          }
        }
      }
    }

    /** The model's top class (-1 on a tie) and its probability, in slices of the chunk. */
    void predict(VectorSchemaRoot votes, ModelScores model, int lfs) {
      predicted = new int[rows];
      confidence = new double[rows];
      int step = Math.max(1, SLICE_VALUES / Math.max(1, lfs));
      for (int from = 0; from < rows; from += step) {
        int length = Math.min(step, rows - from);
        double[][] probs = new double[model.classes()][length];
        model.predictProba(LabelChunk.of(votes, from, length), probs);
        for (int r = 0; r < length; r++) {
          int best = -1;
          double top = -1;
          boolean tie = false;
          for (int c = 0; c < probs.length; c++) {
            double p = probs[c][r];
            if (p > top + 1e-12) {
              top = p;
              best = c;
              tie = false;
            } else if (Math.abs(p - top) <= 1e-12) {
              tie = true;
            }
          }
          predicted[from + r] = tie ? -1 : best;
          confidence[from + r] = Math.max(0, Math.min(1, top));
        }
      }
    }
  }
}
