package dev.labelflight.engine.devset;

import dev.labelflight.engine.labelmatrix.RowSelection;
import dev.labelflight.engine.store.Manifest;
import java.util.Arrays;

/**
 * A dev set as gold class indexes of a job: the labelled rows are the selection an analysis or a dev score
 * reads ({@link RowSelection}), and {@link #read} gives any run of rows their gold labels ({@code -1} where a
 * row has none), as a gold column would. This is the reader label-model fitting calls for dev labels:
 * {@code devSets.get(datasetKey, version).gold(classes).read(chunk)} gives the dev labels of a chunk's rows.
 */
public final class DevGold implements RowSelection {
  private final long[] rows;
  private final short[] classes;

  DevGold(long[] rows, short[] classes) {
    this.rows = rows;
    this.classes = classes;
  }

  @Override
  public long count() {
    return rows.length;
  }

  /** Gold labels of rows {@code [firstRow, firstRow + count)}: the class index, or -1 for rows not labelled. */
  public short[] read(long firstRow, int count) {
    short[] out = new short[count];
    Arrays.fill(out, (short) -1);
    int i = lowerBound(firstRow);
    for (; i < rows.length && rows[i] < firstRow + count; i++) {
      out[(int) (rows[i] - firstRow)] = classes[i];
    }
    return out;
  }

  /** Gold labels of one chunk's rows. */
  public short[] read(Manifest.Chunk chunk) {
    return read(chunk.firstRow(), (int) chunk.rows());
  }

  /** Whether any row of {@code [firstRow, firstRow + count)} is labelled. */
  public boolean any(long firstRow, int count) {
    int i = lowerBound(firstRow);
    return i < rows.length && rows[i] < firstRow + count;
  }

  @Override
  public void forEachRun(long firstRow, int count, RunConsumer consumer) throws Exception {
    int i = lowerBound(firstRow);
    while (i < rows.length && rows[i] < firstRow + count) {
      int start = i;
      while (i + 1 < rows.length && rows[i + 1] == rows[i] + 1 && rows[i + 1] < firstRow + count) {
        i++;
      }
      consumer.accept((int) (rows[start] - firstRow), i - start + 1);
      i++;
    }
  }

  private int lowerBound(long row) {
    int i = Arrays.binarySearch(rows, row);
    return i >= 0 ? i : -i - 1;
  }
}
