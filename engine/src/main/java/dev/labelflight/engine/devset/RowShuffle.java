package dev.labelflight.engine.devset;

import java.math.BigInteger;

/**
 * The order in which rows are offered for hand labelling: a fixed permutation of {@code 0..rows-1}
 * ({@code row = (a * position + b) mod rows} with {@code a} coprime to {@code rows}), so that the first k rows
 * labelled are spread over the whole dataset (a dev set that estimates accuracy on all of it, not on its
 * first chunk) and every client walks the same order without storing it.
 */
public final class RowShuffle {
  private static final long MULTIPLIER = 0x9E3779B97F4A7C15L >>> 2; // the golden ratio, as spread as it gets

  private RowShuffle() {}

  /** The row at {@code position} ({@code 0 <= position < rows}). */
  public static long rowAt(long position, long rows) {
    if (position < 0 || position >= rows) {
      throw new IllegalArgumentException("position " + position + " outside 0.." + (rows - 1));
    }
    long a = multiplier(rows);
    long b = rows / 3;
    return BigInteger.valueOf(a).multiply(BigInteger.valueOf(position)).add(BigInteger.valueOf(b))
        .mod(BigInteger.valueOf(rows)).longValue();
  }

  private static long multiplier(long rows) {
    if (rows <= 2) {
      return 1;
    }
    long a = MULTIPLIER % rows;
    while (a < 2 || BigInteger.valueOf(a).gcd(BigInteger.valueOf(rows)).longValue() != 1) {
      a = (a + 1) % rows;
    }
    return a;
  }
}
