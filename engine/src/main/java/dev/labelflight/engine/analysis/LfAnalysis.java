package dev.labelflight.engine.analysis;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.List;

/**
 * Snorkel's {@code LFAnalysis} computed chunk by chunk: only counts are kept (per LF: votes, overlaps,
 * conflicts, the classes it voted, and with gold its right and wrong votes), so memory does not grow with
 * rows and grows linearly with LFs and classes (up to {@link #MAX_CLASSES}). Definitions follow
 * {@code lf_summary} (Snorkel 0.10) exactly: Correct/Incorrect count rows where the LF votes and gold is
 * known (gold -1 is left out), while the empirical accuracy counts a vote on unknown gold as wrong.
 */
public final class LfAnalysis {
  /** The most classes a job may have (int16 label columns). */
  public static final int MAX_CLASSES = 1000;
  private final List<String> names;
  private final int classes;
  private final boolean withGold;
  private final int maskWords;
  private final long[] covered;
  private final long[] overlapped;
  private final long[] conflicted;
  /** Per LF, {@code maskWords} words: bit c set once the LF voted class c. */
  private final long[] polarityMask;
  /** Per LF, with gold: votes equal to known gold, votes differing from known gold. */
  private final long[] correctVotes;
  private final long[] incorrectVotes;
  private long rows;
  private long rowsCovered;
  private long rowsOverlapped;
  private long rowsConflicted;
  private int[] votes = new int[0];
  private int[] first = new int[0];
  private boolean[] conflict = new boolean[0];

  /** An empty analysis of LFs {@code names} over {@code classes} classes, with or without gold. */
  public LfAnalysis(List<String> names, int classes, boolean withGold) {
    if (classes < 1 || classes > MAX_CLASSES) {
      throw LabelFlightException.invalid("analysis needs 1.." + MAX_CLASSES + " classes, not " + classes);
    }
    this.names = List.copyOf(names);
    this.classes = classes;
    this.withGold = withGold;
    this.maskWords = (classes + 63) / 64;
    int m = names.size();
    covered = new long[m];
    overlapped = new long[m];
    conflicted = new long[m];
    polarityMask = new long[m * maskWords];
    correctVotes = withGold ? new long[m] : null;
    incorrectVotes = withGold ? new long[m] : null;
  }

  /** As {@link #add(LabelChunk, short[])} with int8 gold labels. */
  public void add(LabelChunk chunk, byte[] gold) {
    short[] wide = null;
    if (gold != null) {
      wide = new short[gold.length];
      for (int r = 0; r < gold.length; r++) {
        wide[r] = gold[r];
      }
    }
    add(chunk, wide);
  }

  /** Adds one chunk; {@code gold} (values -1..k-1, -1 = unknown) is required exactly when built with gold. */
  public void add(LabelChunk chunk, short[] gold) {
    if (chunk.lfs() != names.size()) {
      throw LabelFlightException.invalid("label chunk has " + chunk.lfs() + " LFs, analysis expects " + names.size());
    }
    if (withGold != (gold != null)) {
      throw new IllegalArgumentException(withGold ? "gold labels missing" : "gold labels given to an analysis without gold");
    }
    int n = chunk.rows();
    short[][] labels = chunk.labels();
    if (votes.length < n) {
      votes = new int[n];
      first = new int[n];
      conflict = new boolean[n];
    }
    java.util.Arrays.fill(votes, 0, n, 0);
    java.util.Arrays.fill(first, 0, n, -1);
    java.util.Arrays.fill(conflict, 0, n, false);
    // Pass 1, column by column: per row, how many LFs vote and whether two votes differ.
    for (short[] column : labels) {
      for (int r = 0; r < n; r++) {
        int v = column[r];
        if (v != -1) {
          checkClass(v);
          votes[r]++;
          if (first[r] == -1) {
            first[r] = v;
          } else if (first[r] != v) {
            conflict[r] = true;
          }
        }
      }
    }
    for (int r = 0; r < n; r++) {
      if (votes[r] > 0) {
        rowsCovered++;
      }
      if (votes[r] > 1) {
        rowsOverlapped++;
      }
      if (conflict[r]) {
        rowsConflicted++;
      }
    }
    if (gold != null) {
      for (int r = 0; r < n; r++) {
        int g = gold[r];
        if (g < -1 || g >= classes) {
          throw LabelFlightException.invalid("gold label " + g + " at row " + (chunk.firstRow() + r)
              + " is not a class index 0.." + (classes - 1) + " or -1");
        }
      }
    }
    // Pass 2, column by column: per LF counts.
    for (int j = 0; j < labels.length; j++) {
      short[] column = labels[j];
      long cov = 0;
      long over = 0;
      long conf = 0;
      long right = 0;
      long wrong = 0;
      int maskBase = j * maskWords;
      for (int r = 0; r < n; r++) {
        int v = column[r];
        if (v == -1) {
          continue;
        }
        cov++;
        if (votes[r] > 1) {
          over++;
        }
        if (conflict[r]) {
          conf++;
        }
        polarityMask[maskBase + (v >>> 6)] |= 1L << v;
        if (gold != null && gold[r] != -1) {
          if (gold[r] == v) {
            right++;
          } else {
            wrong++;
          }
        }
      }
      covered[j] += cov;
      overlapped[j] += over;
      conflicted[j] += conf;
      if (withGold) {
        correctVotes[j] += right;
        incorrectVotes[j] += wrong;
      }
    }
    rows += n;
  }

  private void checkClass(int v) {
    if (v < -1 || v >= classes) {
      throw LabelFlightException.invalid("label " + v + " is outside the job's " + classes + " classes");
    }
  }

  /** The summary of everything added so far. */
  public LfSummary summary() {
    int m = names.size();
    int[][] polarity = new int[m][];
    double[] coverage = new double[m];
    double[] overlaps = new double[m];
    double[] conflicts = new double[m];
    long[] correct = withGold ? new long[m] : null;
    long[] incorrect = withGold ? new long[m] : null;
    double[] empAcc = withGold ? new double[m] : null;
    double n = rows;
    for (int j = 0; j < m; j++) {
      polarity[j] = polarity(j);
      coverage[j] = nanToNum(covered[j] / n);
      overlaps[j] = nanToNum(overlapped[j] / n);
      conflicts[j] = nanToNum(conflicted[j] / n);
      if (withGold) {
        scoreAgainstGold(j, correct, incorrect, empAcc);
      }
    }
    return new LfSummary(rows, names, polarity, coverage, overlaps, conflicts, correct, incorrect, empAcc,
        nanToNum(rowsCovered / n), nanToNum(rowsOverlapped / n), nanToNum(rowsConflicted / n));
  }

  private int[] polarity(int j) {
    int count = 0;
    for (int w = 0; w < maskWords; w++) {
      count += Long.bitCount(polarityMask[j * maskWords + w]);
    }
    int[] out = new int[count];
    int i = 0;
    for (int c = 0; c < classes; c++) {
      if ((polarityMask[j * maskWords + (c >>> 6)] & (1L << c)) != 0) {
        out[i++] = c;
      }
    }
    return out;
  }

  private void scoreAgainstGold(int j, long[] correct, long[] incorrect, double[] empAcc) {
    correct[j] = correctVotes[j];
    incorrect[j] = incorrectVotes[j];
    // Snorkel: 0.5 * (sum(+1 agree, -1 disagree) / votes + 1), NaN (no votes) -> 0; a vote on unknown gold
    // disagrees.
    long votesJ = covered[j];
    long agree = correctVotes[j];
    empAcc[j] = nanToNum(0.5 * ((double) (agree - (votesJ - agree)) / votesJ + 1));
  }

  private static double nanToNum(double x) {
    return Double.isNaN(x) ? 0.0 : x;
  }
}
