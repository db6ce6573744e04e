package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.error.LabelFlightException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.random.RandomGenerator;

/**
 * How a row whose most probable classes tie becomes a prediction. Every policy gives the same answer for
 * the same row however the data is chunked, ordered or distributed, because it depends only on the row's
 * probabilities, its row id and the policy's settings:
 * <ul>
 *   <li>{@code abstain}: -1;</li>
 *   <li>{@code random}: without a seed, Snorkel's {@code probs_to_preds}:
 *       {@code tied[int(sha1(str(row))) % len(tied)]}; with a seed, {@code tied[h(seed, row) % len(tied)]}
 *       for a fixed 64-bit mix {@code h} (SplitMix64), so different seeds give different, repeatable picks;</li>
 *   <li>{@code prior}: the tied class with the highest class prior (the lowest class index among equal priors);</li>
 *   <li>{@code true-random}: kept for old requests; now the same as {@code random} with the request's seed (0 if none).</li>
 * </ul>
 * Probabilities within {@link #TOLERANCE} of the row's maximum tie (Snorkel's {@code tol}).
 */
public enum TiePolicy {
  ABSTAIN("abstain"), RANDOM("random"), PRIOR("prior"), TRUE_RANDOM("true-random");

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
    throw LabelFlightException.invalid("'tiePolicy' must be one of abstain, random, prior, not '" + text + "'")
        .withDetail(LabelFlightException.Detail.FIELD, "tiePolicy");
  }

  /** This policy with its settings: what turns probabilities into predictions. */
  public Breaker with(Long seed, double[] prior) {
    return new Breaker(this, seed, prior);
  }

  /** A policy with its seed (random) and class prior (prior); immutable. */
  public record Breaker(TiePolicy policy, Long seed, double[] prior) {
    /**
     * Predictions for rows {@code 0..rows-1} of {@code probs[class][row]}; row {@code r} has row id
     * {@code firstRow + r} in its dataset version (what {@code random} keys on).
     */
    public void predict(double[][] probs, int rows, long firstRow, short[] out) {
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
        out[r] = (short) (t == 1 ? tied[0] : breakTie(tied, t, firstRow + r));
      }
    }

    /** As above, for up to 127 classes. */
    public void predict(double[][] probs, int rows, long firstRow, byte[] out) {
      short[] wide = new short[rows];
      predict(probs, rows, firstRow, wide);
      for (int r = 0; r < rows; r++) {
        out[r] = (byte) wide[r];
      }
    }

    private int breakTie(int[] tied, int count, long row) {
      return switch (policy) {
        case ABSTAIN -> -1;
        case RANDOM -> seed == null ? tied[rowHash(row).mod(BigInteger.valueOf(count)).intValue()]
            : tied[(int) Long.remainderUnsigned(mix(seed, row), count)];
        case TRUE_RANDOM -> tied[(int) Long.remainderUnsigned(mix(seed == null ? 0 : seed, row), count)];
        case PRIOR -> {
          int best = tied[0];
          for (int i = 1; i < count; i++) {
            if (prior != null && prior[tied[i]] > prior[best]) {
              best = tied[i];
            }
          }
          yield best;
        }
      };
    }
  }

  /**
   * Predictions under this policy without a seed or prior ({@code prior} then picks the lowest tied
   * class). The generator is not used: ties depend on the row only (kept for callers of the old signature).
   */
  public void predict(double[][] probs, int rows, long firstRow, RandomGenerator unused, byte[] out) {
    with(null, null).predict(probs, rows, firstRow, out);
  }

  /** As {@link #predict(double[][], int, long, RandomGenerator, byte[])} for up to 1,000 classes. */
  public void predict(double[][] probs, int rows, long firstRow, RandomGenerator unused, short[] out) {
    with(null, null).predict(probs, rows, firstRow, out);
  }

  /** SplitMix64 of the seed and the row id: a fixed, well-spread 64-bit value per (seed, row). */
  static long mix(long seed, long row) {
    long z = seed + 0x9E3779B97F4A7C15L * (row + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
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
