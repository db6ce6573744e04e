package dev.labelflight.engine.browse;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.AtomicFiles;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Label coverage per class of a job: for each class, how many rows get at least one vote for it, plus
 * how many rows get any vote and how many get votes for two or more classes. Reads only the job's label
 * chunks, a columnar pass per LF. Blocking (disk).
 */
public final class LabelCoverage {
  /** Most classes counted (one bit per class per row of a chunk). */
  public static final int MAX_CLASSES = dev.labelflight.engine.lf.LfLimits.DEFAULT_MAX_CLASSES;
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final LabelStore labels;

  public LabelCoverage(LabelStore labels) {
    this.labels = labels;
  }

  /**
   * {@code {"job", "rows", "covered", "conflicted", "perClass": [rows voted class 0, class 1, ...]}} over
   * the label chunks {@code files} (chunk i's size and checksum, in order) of a job with {@code lfCount}
   * LFs; classes are {@code 0..classes-1}.
   */
  public ObjectNode count(String job, int lfCount, int classes, List<AtomicFiles.Written> files,
      BufferAllocator allocator) {
    if (classes < 1 || classes > MAX_CLASSES) {
      throw LabelFlightException.invalid("'classes' must be between 1 and " + MAX_CLASSES);
    }
    long[] perClass = new long[classes];
    long rows = 0;
    long covered = 0;
    long conflicted = 0;
    for (int chunk = 0; chunk < files.size(); chunk++) {
      try (VectorSchemaRoot votes = labels.read(job, chunk, files.get(chunk), allocator)) {
        int n = votes.getRowCount();
        // One bit per class per row: which classes got at least one vote (int8 or int16 columns).
        int words = (classes + 63) >>> 6;
        long[] seen = new long[n * words];
        for (int lf = 0; lf < lfCount; lf++) {
          BaseIntVector column = (BaseIntVector) votes.getVector(lf + 1);
          for (int i = 0; i < n; i++) {
            int v = (int) column.getValueAsLong(i);
            if (v >= 0 && v < classes) {
              seen[i * words + (v >>> 6)] |= 1L << v;
            }
          }
        }
        for (int i = 0; i < n; i++) {
          int votedClasses = 0;
          for (int w = 0; w < words; w++) {
            long bits = seen[i * words + w];
            votedClasses += Long.bitCount(bits);
            for (long b = bits; b != 0; b &= b - 1) {
              perClass[(w << 6) + Long.numberOfTrailingZeros(b)]++;
            }
          }
          if (votedClasses > 0) {
            covered++;
            if (votedClasses > 1) {
              conflicted++;
            }
          }
        }
        rows += n;
      }
    }
    ObjectNode result = NODES.objectNode().put("job", job).put("rows", rows).put("covered", covered)
        .put("conflicted", conflicted);
    ArrayNode list = result.putArray("perClass");
    for (long c : perClass) {
      list.add(c);
    }
    return result;
  }
}
