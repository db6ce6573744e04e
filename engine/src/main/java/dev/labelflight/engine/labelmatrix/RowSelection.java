package dev.labelflight.engine.labelmatrix;

/**
 * Rows of a job's label matrix that an analysis or a label-model fit reads: {@link RowRanges} (sent as JSON
 * ranges) or {@link RowBitmap} (uploaded as an Arrow column of row ids, for subsets of many runs).
 */
public interface RowSelection {
  /** Rows selected. */
  long count();

  /** Receives a selected run of rows within one chunk: offset in the chunk and length. */
  interface RunConsumer {
    void accept(int offset, int length) throws Exception;
  }

  /**
   * Calls {@code consumer} for each selected run inside rows {@code [firstRow, firstRow + rows)}, in order,
   * with offsets relative to {@code firstRow}.
   */
  void forEachRun(long firstRow, int rows, RunConsumer consumer) throws Exception;
}
