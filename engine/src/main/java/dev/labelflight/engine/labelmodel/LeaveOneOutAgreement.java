package dev.labelflight.engine.labelmodel;

/**
 * Per LF, how often its vote equals the strict majority of the <em>other</em> LFs voting on the same row
 * (rows where the others tie or nobody else votes are not counted). Under LFs that are better than random
 * and independent given the class, this orders LFs by accuracy; smoothed, it is the accuracy estimate of
 * {@link WeightedMajority} and the fallback of {@link TripletModel}. One pass, O(votes) per row.
 */
final class LeaveOneOutAgreement {
  private final int classes;
  private final double[] agreed;
  private final double[] decided;
  private final int[] tally;

  LeaveOneOutAgreement(int lfs, int classes) {
    this.classes = classes;
    agreed = new double[lfs];
    decided = new double[lfs];
    tally = new int[classes];
  }

  void add(RowVotes rv, int from, int to, double weight) {
    if (to - from < 2) {
      return;
    }
    // Counts per class, and the top two counts with how many classes reach them.
    int m1 = 0;
    int n1 = 0;
    int a1 = -1;
    int b1 = -1;
    for (int i = from; i < to; i++) {
      tally[rv.vote[i]]++;
    }
    for (int i = from; i < to; i++) {
      int v = rv.vote[i];
      int t = tally[v];
      if (t < 0) {
        continue; // class seen already (marked below)
      }
      if (t > m1) {
        m1 = t;
        n1 = 1;
        a1 = v;
        b1 = -1;
      } else if (t == m1) {
        n1++;
        if (b1 < 0) {
          b1 = v;
        }
      }
      tally[v] = -t - 1; // mark seen, keep the count recoverable
    }
    int m2 = 0;
    int n2 = 0;
    int a2 = -1;
    for (int i = from; i < to; i++) {
      int v = rv.vote[i];
      int t = tally[v];
      if (t >= 0) {
        continue;
      }
      int count = -t - 1;
      tally[v] = count; // unmark (visited again below only through the count)
      if (count < m1) {
        if (count > m2) {
          m2 = count;
          n2 = 1;
          a2 = v;
        } else if (count == m2) {
          n2++;
        }
      }
    }
    for (int i = from; i < to; i++) {
      int v = rv.vote[i];
      int t = tally[v];
      int winner;
      if (t == m1) {
        if (n1 >= 2) {
          winner = n1 == 2 ? (v == a1 ? b1 : a1) : -1;
        } else if (t - 1 > m2) {
          winner = v;
        } else if (t - 1 == m2) {
          winner = -1;
        } else {
          winner = n2 == 1 ? a2 : -1;
        }
      } else {
        winner = n1 == 1 ? a1 : -1;
      }
      if (winner >= 0) {
        int j = rv.lf[i];
        decided[j] += weight;
        if (winner == v) {
          agreed[j] += weight;
        }
      }
    }
    for (int i = from; i < to; i++) {
      tally[rv.vote[i]] = 0;
    }
  }

  /** LF {@code j}'s agreement rate, Laplace-smoothed toward 1/2 ... and never below 1/classes (random). */
  double accuracy(int j) {
    double a = (agreed[j] + 1) / (decided[j] + 2);
    return Math.max(1.0 / classes, Math.min(1 - 1e-3, a));
  }

  /** Rows on which LF j's agreement was decided. */
  double decided(int j) {
    return decided[j];
  }
}
