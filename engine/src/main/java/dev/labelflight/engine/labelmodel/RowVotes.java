package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;

/**
 * The votes of one label chunk row by row (compressed sparse rows): row {@code r}'s votes are
 * {@code lf[i], vote[i]} for {@code i} in {@code start[r] .. start[r + 1] - 1}. Abstains cost nothing, so
 * a model's work per row follows the LFs that vote, not all LFs. Reused chunk after chunk.
 */
final class RowVotes {
  int rows;
  int[] start = new int[1];
  int[] lf = new int[0];
  short[] vote = new short[0];

  /** Reloads from {@code chunk}, checking every vote is a class {@code 0..classes-1} or -1. */
  void load(LabelChunk chunk, int classes) {
    int n = chunk.rows();
    short[][] labels = chunk.labels();
    if (start.length < n + 1) {
      start = new int[n + 1];
    }
    java.util.Arrays.fill(start, 0, n + 1, 0);
    for (short[] column : labels) {
      for (int r = 0; r < n; r++) {
        int v = column[r];
        if (v != -1) {
          if (v < -1 || v >= classes) {
            throw LabelFlightException.invalid("label " + v + " is outside the model's " + classes + " classes");
          }
          start[r + 1]++;
        }
      }
    }
    for (int r = 0; r < n; r++) {
      start[r + 1] += start[r];
    }
    int nnz = start[n];
    if (lf.length < nnz) {
      lf = new int[nnz];
      vote = new short[nnz];
    }
    int[] next = new int[n];
    System.arraycopy(start, 0, next, 0, n);
    for (int j = 0; j < labels.length; j++) {
      short[] column = labels[j];
      for (int r = 0; r < n; r++) {
        short v = column[r];
        if (v != -1) {
          int i = next[r]++;
          lf[i] = j;
          vote[i] = v;
        }
      }
    }
    rows = n;
  }

  /**
   * Fills {@code q} with the majority vote of row votes {@code from..to-1}: even over the classes with the
   * most votes, uniform when nobody votes. {@code tally} is scratch of one int per class, all zero, left zero.
   */
  void majority(int from, int to, double[] q, int[] tally) {
    int classes = q.length;
    java.util.Arrays.fill(q, 0.0);
    if (from == to) {
      java.util.Arrays.fill(q, 1.0 / classes);
      return;
    }
    int max = 0;
    for (int i = from; i < to; i++) {
      max = Math.max(max, ++tally[vote[i]]);
    }
    int ties = 0;
    for (int i = from; i < to; i++) {
      int v = vote[i];
      if (tally[v] == max && q[v] == 0) {
        q[v] = 1;
        ties++;
      }
    }
    for (int i = from; i < to; i++) {
      int v = vote[i];
      tally[v] = 0;
      if (q[v] == 1) {
        q[v] = 1.0 / ties;
      }
    }
  }

  /** The strict majority class of row votes {@code from..to-1}, or -1 on a tie or no vote. Same scratch rule. */
  int strictMajority(int from, int to, int[] tally) {
    int best = -1;
    int max = 0;
    boolean tie = false;
    for (int i = from; i < to; i++) {
      int v = vote[i];
      int t = ++tally[v];
      if (t > max) {
        max = t;
        best = v;
        tie = false;
      } else if (t == max && v != best) {
        tie = true;
      }
    }
    for (int i = from; i < to; i++) {
      tally[vote[i]] = 0;
    }
    return tie ? -1 : best;
  }
}
