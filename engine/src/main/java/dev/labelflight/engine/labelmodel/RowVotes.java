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
}
