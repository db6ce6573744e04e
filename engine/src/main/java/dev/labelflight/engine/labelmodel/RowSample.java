package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.SplittableRandom;

/**
 * Up to {@code capacity} rows of a label matrix kept as they stream by (reservoir sampling with a fixed
 * seed, so the same matrix read in the same order gives the same sample), each with its gold class or -1.
 * Rows given with a multiplicity (vote patterns) count that many times. What fit diagnostics and the dev
 * set of {@code auto} selection are computed on: bounded memory whatever the matrix size.
 */
public final class RowSample {
  private final int lfs;
  private final int capacity;
  private final short[][] votes;
  private final int[] gold;
  private final long[] rowIds;
  private final long[] weight;
  private final SplittableRandom random = new SplittableRandom(20_250_101L);
  private int size;
  private long seen;

  public RowSample(int lfs, int capacity) {
    this.lfs = lfs;
    this.capacity = capacity;
    votes = new short[lfs][capacity];
    gold = new int[capacity];
    rowIds = new long[capacity];
    weight = new long[capacity];
  }

  /** Offers the rows of {@code chunk}; {@code goldOf} gives a row's gold class or -1 (null: no gold). */
  public void add(LabelChunk chunk, long[] counts, int[] goldOf) {
    add(chunk, counts, goldOf, false);
  }

  /** Offers only the rows of {@code chunk} that have gold (a dev set: every gold row up to the capacity). */
  public void addGold(LabelChunk chunk, int[] goldOf) {
    add(chunk, null, goldOf, true);
  }

  private void add(LabelChunk chunk, long[] counts, int[] goldOf, boolean onlyGold) {
    short[][] labels = chunk.labels();
    for (int r = 0; r < chunk.rows(); r++) {
      if (onlyGold && (goldOf == null || goldOf[r] < 0)) {
        continue;
      }
      long times = counts == null ? 1 : counts[r];
      int slot;
      if (size < capacity) {
        slot = size++;
        weight[slot] = times;
      } else if (counts != null) {
        // Weighted rows (patterns) with a full sample: keep the pattern with probability proportional to its count.
        slot = random.nextLong(seen + times) < times ? random.nextInt(capacity) : -1;
        if (slot >= 0) {
          weight[slot] = times;
        }
      } else {
        long pick = random.nextLong(seen + 1);
        slot = pick < capacity ? (int) pick : -1;
        if (slot >= 0) {
          weight[slot] = 1;
        }
      }
      seen += times;
      if (slot < 0) {
        continue;
      }
      for (int j = 0; j < lfs; j++) {
        votes[j][slot] = labels[j][r];
      }
      gold[slot] = goldOf == null ? -1 : goldOf[r];
      rowIds[slot] = chunk.firstRow() + r;
    }
  }

  public int size() {
    return size;
  }

  /** The sampled rows as one label chunk (row ids are not consecutive: see {@link #rowId}). */
  public LabelChunk asChunk() {
    short[][] out = new short[lfs][];
    for (int j = 0; j < lfs; j++) {
      out[j] = java.util.Arrays.copyOf(votes[j], size);
    }
    return new LabelChunk(0, size, out);
  }

  public int gold(int i) {
    return gold[i];
  }

  public long rowId(int i) {
    return rowIds[i];
  }

  /** How many matrix rows sample row {@code i} stands for (1 unless the matrix came as vote patterns). */
  public long weight(int i) {
    return weight[i];
  }

  /** Sampled rows that have gold. */
  public int withGold() {
    int n = 0;
    for (int i = 0; i < size; i++) {
      if (gold[i] >= 0) {
        n++;
      }
    }
    return n;
  }
}
