package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.Arrays;

/**
 * The sufficient statistic of a label matrix for a model that treats rows alike: each distinct row of
 * votes with how often it occurs. Built chunk by chunk; its size depends on how many distinct vote
 * patterns the LFs produce, never on the number of rows, and is capped.
 */
public final class VotePatterns {
  private final int lfs;
  private final int maxPatterns;
  private short[] patterns;
  private long[] counts;
  private int[] slots;
  private int size;
  private long rows;

  public VotePatterns(int lfs, int maxPatterns) {
    this.lfs = lfs;
    this.maxPatterns = maxPatterns;
    int capacity = 64;
    patterns = new short[capacity * Math.max(lfs, 1)];
    counts = new long[capacity];
    slots = new int[capacity * 2];
  }

  public int lfs() {
    return lfs;
  }

  /** Distinct patterns so far. */
  public int size() {
    return size;
  }

  public long rows() {
    return rows;
  }

  /** The vote of LF {@code lf} in pattern {@code p}. */
  public short vote(int p, int lf) {
    return patterns[p * lfs + lf];
  }

  public long count(int p) {
    return counts[p];
  }

  /** Heap bytes of its arrays (at their capacity), for checking the memory estimate of a fit. */
  public long heapBytes() {
    return 2L * patterns.length + 8L * counts.length + 4L * slots.length;
  }

  /** Each distinct pattern as one row of a label chunk (row {@code p} = pattern {@code p}). */
  public LabelChunk asChunk() {
    short[][] labels = new short[lfs][size];
    for (int p = 0; p < size; p++) {
      for (int j = 0; j < lfs; j++) {
        labels[j][p] = patterns[p * lfs + j];
      }
    }
    return new LabelChunk(0, size, labels);
  }

  /** How often each pattern occurs, by pattern index. */
  public long[] counts() {
    return Arrays.copyOf(counts, size);
  }

  public void add(LabelChunk chunk) {
    if (chunk.lfs() != lfs) {
      throw LabelFlightException.invalid("label chunk has " + chunk.lfs() + " LFs, expected " + lfs);
    }
    short[][] labels = chunk.labels();
    short[] row = new short[lfs];
    for (int r = 0; r < chunk.rows(); r++) {
      int hash = 0x9E3779B9;
      for (int j = 0; j < lfs; j++) {
        row[j] = labels[j][r];
        hash = (hash ^ row[j]) * 0x01000193;
      }
      int p = indexOf(row, hash ^ (hash >>> 16)); // may grow counts: index after the call
      counts[p]++;
    }
    rows += chunk.rows();
  }

  private int indexOf(short[] row, int hash) {
    int mask = slots.length - 1;
    for (int s = hash & mask; ; s = (s + 1) & mask) {
      int entry = slots[s];
      if (entry == 0) {
        return insert(row, s);
      }
      int p = entry - 1;
      if (Arrays.equals(patterns, p * lfs, p * lfs + lfs, row, 0, lfs)) {
        return p;
      }
    }
  }

  private int insert(short[] row, int slot) {
    if (size == maxPatterns) {
      throw LabelFlightException.exhausted("the LFs produce more than " + maxPatterns
          + " distinct vote patterns; the generative model keeps at most that many (use fewer LFs or majority vote)");
    }
    if (size == counts.length) {
      counts = Arrays.copyOf(counts, size * 2);
      patterns = Arrays.copyOf(patterns, size * 2 * Math.max(lfs, 1));
    }
    System.arraycopy(row, 0, patterns, size * lfs, lfs);
    slots[slot] = ++size;
    if (size * 2 > slots.length) {
      rehash();
    }
    return size - 1;
  }

  private void rehash() {
    slots = new int[slots.length * 2];
    int mask = slots.length - 1;
    for (int p = 0; p < size; p++) {
      int hash = 0x9E3779B9;
      for (int j = 0; j < lfs; j++) {
        hash = (hash ^ patterns[p * lfs + j]) * 0x01000193;
      }
      int s = (hash ^ (hash >>> 16)) & mask;
      while (slots[s] != 0) {
        s = (s + 1) & mask;
      }
      slots[s] = p + 1;
    }
  }
}
