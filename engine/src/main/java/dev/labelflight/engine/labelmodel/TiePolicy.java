package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.error.LabelFlightException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.random.RandomGenerator;

/**
 * How a row whose most probable classes tie becomes a prediction, as Snorkel's {@code probs_to_preds}:
 * {@code abstain} gives -1; {@code random} picks {@code tied[int(sha1(str(row))) % len(tied)]}, the same
 * on every run; {@code true-random} picks uniformly from a random generator. Probabilities within
 * {@link #TOLERANCE} of the row's maximum tie.
 */
public enum TiePolicy {
  ABSTAIN("abstain"), RANDOM("random"), TRUE_RANDOM("true-random");

  /** Snorkel's {@code tol}. */
  public static final double TOLERANCE = 1e-5;

  private final String id;

  TiePolicy(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  public static TiePolicy parse(String text) {
    for (TiePolicy p : values()) {
      if (p.id.equals(text)) {
        return p;
      }
    }
    throw LabelFlightException.invalid("'tiePolicy' must be one of abstain, random, true-random, not '" + text + "'");
  }

  /**
   * Predictions for rows {@code 0..rows-1} of {@code probs[class][row]}; row {@code r} is row number
   * {@code firstRow + r} of the whole matrix (what "random" hashes).
   */
  public void predict(double[][] probs, int rows, long firstRow, RandomGenerator random, byte[] out) {
    short[] wide = new short[rows];
    predict(probs, rows, firstRow, random, wide);
    for (int r = 0; r < rows; r++) {
      out[r] = (byte) wide[r];
    }
  }

  /** As {@link #predict(double[][], int, long, RandomGenerator, byte[])} for up to 1,000 classes. */
  public void predict(double[][] probs, int rows, long firstRow, RandomGenerator random, short[] out) {
    int k = probs.length;
    int[] tied = new int[k];
    for (int r = 0; r < rows; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < k; c++) {
        max = Math.max(max, probs[c][r]);
      }
      int t = 0;
      for (int c = 0; c < k; c++) {
        if (Math.abs(probs[c][r] - max) < TOLERANCE) {
          tied[t++] = c;
        }
      }
      out[r] = (short) (t == 1 ? tied[0] : breakTie(tied, t, firstRow + r, random));
    }
  }

  private int breakTie(int[] tied, int count, long row, RandomGenerator random) {
    return switch (this) {
      case ABSTAIN -> -1;
      case RANDOM -> tied[rowHash(row).mod(BigInteger.valueOf(count)).intValue()];
      case TRUE_RANDOM -> tied[random.nextInt(count)];
    };
  }

  /** Snorkel's {@code _hash(i)}: the SHA-1 of the decimal row number as an unsigned integer. */
  static BigInteger rowHash(long row) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest(Long.toString(row).getBytes(StandardCharsets.UTF_8));
      return new BigInteger(1, digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is missing from this JVM", e);
    }
  }

  @Override
  public String toString() {
    return id;
  }
}
