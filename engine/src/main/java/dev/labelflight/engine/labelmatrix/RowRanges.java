package dev.labelflight.engine.labelmatrix;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.Arrays;

/**
 * A selection of rows of a job's label matrix: sorted, disjoint, non-adjacent half-open ranges
 * {@code [start, end)} of row ids. LF analysis and label-model fits over a subset of a job read only these
 * rows (a client's {@code L.iloc[:1000]} is one range, a mask over a shuffled frame many). At most
 * {@link #MAX_RANGES} ranges travel in a request's JSON; the whole selection costs 16 bytes per range.
 */
public final class RowRanges implements RowSelection {
  /** Ranges a request may carry (each two numbers in its JSON body: at most about 2 MiB of text). */
  public static final int MAX_RANGES = 65_536;

  private final long[] starts;
  private final long[] ends;
  private final long count;

  private RowRanges(long[] starts, long[] ends) {
    this.starts = starts;
    this.ends = ends;
    long n = 0;
    for (int i = 0; i < starts.length; i++) {
      n += ends[i] - starts[i];
    }
    this.count = n;
  }

  /**
   * Checks and keeps {@code pairs} ({@code [start0, end0, start1, end1, ...]}): each range non-empty,
   * within {@code [0, rows)}, after the previous one; INVALID_ARGUMENT naming the first bad range.
   * Adjacent ranges are merged.
   */
  public static RowRanges of(long[] pairs, long rows) {
    if (pairs.length % 2 != 0) {
      throw LabelFlightException.invalid("'rowRanges' must be a list of [start, end) pairs");
    }
    int n = pairs.length / 2;
    if (n == 0) {
      throw LabelFlightException.invalid("'rowRanges' selects no rows");
    }
    if (n > MAX_RANGES) {
      throw LabelFlightException.invalid("'rowRanges' has " + n + " ranges; at most " + MAX_RANGES + " are allowed")
          .withDetail(LabelFlightException.Detail.LIMIT, MAX_RANGES)
          .withDetail(LabelFlightException.Detail.REQUESTED, n)
          .withDetail(LabelFlightException.Detail.FIELD, "rowRanges");
    }
    long[] starts = new long[n];
    long[] ends = new long[n];
    int kept = 0;
    long previousEnd = -1;
    for (int i = 0; i < n; i++) {
      long start = pairs[2 * i];
      long end = pairs[2 * i + 1];
      if (start < 0 || end <= start || end > rows || start < previousEnd) {
        throw LabelFlightException.invalid("'rowRanges' range " + i + " [" + start + ", " + end + ") is empty, overlaps"
            + " the one before or lies outside the job's " + rows + " rows").withDetail(LabelFlightException.Detail.FIELD,
            "rowRanges");
      }
      if (kept > 0 && start == ends[kept - 1]) {
        ends[kept - 1] = end;
      } else {
        starts[kept] = start;
        ends[kept] = end;
        kept++;
      }
      previousEnd = end;
    }
    return new RowRanges(Arrays.copyOf(starts, kept), Arrays.copyOf(ends, kept));
  }

  @Override
  public long count() {
    return count;
  }

  /** Ranges after merging adjacent ones. */
  public int size() {
    return starts.length;
  }

  @Override
  public void forEachRun(long firstRow, int rows, RunConsumer consumer) throws Exception {
    long last = firstRow + rows;
    // The first range that ends after firstRow.
    int i = Arrays.binarySearch(ends, firstRow + 1);
    i = i >= 0 ? i : -i - 1;
    for (; i < starts.length && starts[i] < last; i++) {
      long from = Math.max(starts[i], firstRow);
      long to = Math.min(ends[i], last);
      if (to > from) {
        consumer.accept((int) (from - firstRow), (int) (to - from));
      }
    }
  }
}
