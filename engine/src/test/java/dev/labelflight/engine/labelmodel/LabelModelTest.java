package dev.labelflight.engine.labelmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LabelModelTest {
  /** Verifies majority-vote probabilities on a hand-worked matrix: ties split evenly, silent rows uniform. */
  @Test
  void majorityVoteProbabilities() {
    // Rows: [0,0,-1] [-1,0,1] [1,-1,0] [-1,-1,-1] [2,2,1]
    byte[][] labels = {{0, -1, 1, -1, 2}, {0, 0, -1, -1, 2}, {-1, 1, 0, -1, 1}};
    double[][] p = new double[3][5];
    new MajorityVote(3, 3).predictProba(new LabelChunk(0, 5, labels), p);
    assertArrayEquals(new double[] {1, 0.5, 0.5, 1.0 / 3, 0}, p[0]);
    assertArrayEquals(new double[] {0, 0.5, 0.5, 1.0 / 3, 0}, p[1]);
    assertArrayEquals(new double[] {0, 0, 0, 1.0 / 3, 1}, p[2]);
  }

  /**
   * Verifies the tie policies: abstain gives -1; random picks tied[sha1(str(row)) % ties] (values worked
   * out with Python's hashlib) and depends on the global row number; true-random stays among the tied.
   */
  @Test
  void tiePolicies() {
    double[][] tiedTwo = new double[2][8];
    for (int r = 0; r < 8; r++) {
      tiedTwo[0][r] = 0.5;
      tiedTwo[1][r] = 0.5;
    }
    byte[] out = new byte[8];
    TiePolicy.ABSTAIN.predict(tiedTwo, 8, 0, null, out);
    assertArrayEquals(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1}, out);
    TiePolicy.RANDOM.predict(tiedTwo, 8, 0, null, out);
    assertArrayEquals(new byte[] {0, 1, 0, 1, 0, 0, 0, 0}, out);
    double[][] tiedThree = new double[4][8];
    for (int r = 0; r < 8; r++) {
      tiedThree[0][r] = 0.0;
      tiedThree[1][r] = 1.0 / 3;
      tiedThree[2][r] = 1.0 / 3;
      tiedThree[3][r] = 1.0 / 3 + 1e-7; // within the tolerance: still a tie
    }
    TiePolicy.RANDOM.predict(tiedThree, 8, 0, null, out);
    assertArrayEquals(new byte[] {1, 1, 1, 2, 1, 1, 2, 3}, out);
    TiePolicy.RANDOM.predict(tiedTwo, 4, 4, null, out);
    assertArrayEquals(new byte[] {0, 0, 0, 0}, java.util.Arrays.copyOf(out, 4));
    assertEquals(2, TiePolicy.rowHash(12345678901L).mod(java.math.BigInteger.valueOf(5)).intValue());
    Random random = new Random(1);
    for (int i = 0; i < 20; i++) {
      TiePolicy.TRUE_RANDOM.predict(tiedThree, 8, 0, random, out);
      for (byte b : out) {
        assertTrue(b >= 1 && b <= 3);
      }
    }
    double[][] clear = {{0.2}, {0.8}};
    TiePolicy.ABSTAIN.predict(clear, 1, 0, null, out);
    assertEquals(1, out[0]);
    assertEquals(TiePolicy.TRUE_RANDOM, TiePolicy.parse("true-random"));
    assertThrows(LabelFlightException.class, () -> TiePolicy.parse("coin"));
  }

  /** Rows with a known class; LF j votes with propensity and is right with accuracy acc[j]. */
  private static LabelChunk synthetic(int rows, double[] acc, int k, long seed, byte[] truth) {
    SplittableRandom random = new SplittableRandom(seed);
    byte[][] labels = new byte[acc.length][rows];
    for (int r = 0; r < rows; r++) {
      truth[r] = (byte) random.nextInt(k);
      for (int j = 0; j < acc.length; j++) {
        if (random.nextDouble() < 0.4) {
          labels[j][r] = random.nextDouble() < acc[j] ? truth[r] : (byte) ((truth[r] + 1 + random.nextInt(k - 1)) % k);
        } else {
          labels[j][r] = -1;
        }
      }
    }
    return new LabelChunk(0, rows, labels);
  }

  private static double accuracy(LabelModel model, LabelChunk chunk, byte[] truth) {
    double[][] p = new double[model.classes()][chunk.rows()];
    model.predictProba(chunk, p);
    byte[] preds = new byte[chunk.rows()];
    TiePolicy.RANDOM.predict(p, chunk.rows(), 0, null, preds);
    int right = 0;
    for (int r = 0; r < preds.length; r++) {
      right += preds[r] == truth[r] ? 1 : 0;
      double sum = 0;
      for (double[] column : p) {
        sum += column[r];
      }
      assertEquals(1.0, sum, 1e-9);
    }
    return (double) right / preds.length;
  }

  /**
   * Verifies that the generative model recovers known LF accuracies without gold (within 0.03) and
   * labels more rows right than majority vote when LFs differ in quality.
   */
  @Test
  void generativeModelLearnsAccuracies() {
    double[] acc = {0.95, 0.9, 0.85, 0.7, 0.6, 0.55};
    int rows = 20_000;
    byte[] truth = new byte[rows];
    LabelChunk chunk = synthetic(rows, acc, 3, 42, truth);
    VotePatterns patterns = new VotePatterns(acc.length, 1 << 16);
    // Two chunks' worth of patterns from one chunk split in two: counts add up.
    for (int half = 0; half < 2; half++) {
      byte[][] part = new byte[acc.length][];
      for (int j = 0; j < acc.length; j++) {
        part[j] = java.util.Arrays.copyOfRange(bytes(chunk.labels()[j]), half * rows / 2, (half + 1) * rows / 2);
      }
      patterns.add(new LabelChunk(half * rows / 2L, rows / 2, part));
    }
    assertEquals(rows, patterns.rows());
    GenerativeModel model = GenerativeModel.fit(patterns, 3, GenerativeModel.Options.defaults());
    double[] learned = model.weights();
    for (int j = 0; j < acc.length; j++) {
      assertEquals(acc[j], learned[j], 0.03, "LF " + j);
    }
    double gen = accuracy(model, chunk, truth);
    double mv = accuracy(new MajorityVote(3, acc.length), chunk, truth);
    assertTrue(gen > mv + 0.01, "generative " + gen + " vs majority " + mv);
  }

  /** Verifies that a given class balance is kept as given, and that a model rebuilt from JSON predicts the same. */
  @Test
  void fixedBalanceAndJsonRoundTrip() throws Exception {
    double[] acc = {0.8, 0.7, 0.9};
    byte[] truth = new byte[2000];
    LabelChunk chunk = synthetic(2000, acc, 2, 7, truth);
    VotePatterns patterns = new VotePatterns(3, 100);
    patterns.add(chunk);
    assertTrue(patterns.size() <= 27);
    double[] balance = {0.3, 0.7};
    GenerativeModel model = GenerativeModel.fit(patterns, 2, new GenerativeModel.Options(balance, 50, 1e-9));
    assertArrayEquals(balance, model.classBalance());
    LabelModel copy = LabelModels.fromJson(new ObjectMapper().readTree(model.toJson().toString()));
    double[][] a = new double[2][2000];
    double[][] b = new double[2][2000];
    model.predictProba(chunk, a);
    copy.predictProba(chunk, b);
    assertArrayEquals(a[0], b[0]);
    assertArrayEquals(model.weights(), copy.weights());
    assertThrows(LabelFlightException.class,
        () -> GenerativeModel.fit(patterns, 2, new GenerativeModel.Options(new double[] {0.5, 0.6}, 10, 1e-6)));
    assertThrows(LabelFlightException.class, () -> GenerativeModel.fit(patterns, 1, GenerativeModel.Options.defaults()));
  }

  /**
   * Verifies that fitting by passes over the label chunks (for matrices with too many vote patterns)
   * gives the same model as fitting from the vote patterns.
   */
  @Test
  void streamingFitEqualsPatternFit() {
    double[] acc = {0.9, 0.75, 0.65, 0.8};
    byte[] truth = new byte[5000];
    LabelChunk chunk = synthetic(5000, acc, 3, 3, truth);
    VotePatterns patterns = new VotePatterns(acc.length, 1 << 16);
    patterns.add(chunk);
    GenerativeModel fromPatterns = GenerativeModel.fit(patterns, 3, GenerativeModel.Options.defaults());
    GenerativeModel.Fitter fitter = new GenerativeModel.Fitter(acc.length, 3, GenerativeModel.Options.defaults());
    while (!fitter.done()) {
      for (int first = 0; first < 5000; first += 1200) {
        int rows = Math.min(1200, 5000 - first);
        byte[][] part = new byte[acc.length][];
        for (int j = 0; j < acc.length; j++) {
          part[j] = java.util.Arrays.copyOfRange(bytes(chunk.labels()[j]), first, first + rows);
        }
        fitter.add(new LabelChunk(first, rows, part), null);
      }
      fitter.endEpoch();
    }
    GenerativeModel streamed = fitter.model();
    assertEquals(fromPatterns.epochs(), streamed.epochs());
    assertArrayEquals(fromPatterns.weights(), streamed.weights(), 1e-9);
    assertArrayEquals(fromPatterns.classBalance(), streamed.classBalance(), 1e-9);
  }

  /** Verifies that the vote-pattern table counts repeats and refuses to grow past its cap with a clear error. */
  @Test
  void votePatternsAreCapped() {
    byte[][] labels = {{0, 0, 1, 1, -1, 0}, {1, 1, 1, -1, -1, 1}};
    VotePatterns patterns = new VotePatterns(2, 4);
    patterns.add(new LabelChunk(0, 6, labels));
    assertEquals(4, patterns.size());
    assertEquals(6, patterns.rows());
    assertEquals(3, patterns.count(0));
    LabelFlightException e = assertThrows(LabelFlightException.class,
        () -> patterns.add(new LabelChunk(6, 1, new byte[][] {{1}, {0}})));
    assertEquals(LabelFlightException.Kind.RESOURCE_EXHAUSTED, e.kind());
    VotePatterns many = new VotePatterns(3, 10_000);
    byte[][] all = new byte[3][64];
    for (int r = 0; r < 64; r++) {
      all[0][r] = (byte) (r % 4 - 1);
      all[1][r] = (byte) (r / 4 % 4 - 1);
      all[2][r] = (byte) (r / 16 - 1);
    }
    many.add(new LabelChunk(0, 64, all));
    many.add(new LabelChunk(64, 64, all));
    assertEquals(64, many.size());
    for (int p = 0; p < 64; p++) {
      assertEquals(2, many.count(p));
    }
  }

  private static byte[] bytes(short[] column) {
    byte[] out = new byte[column.length];
    for (int r = 0; r < column.length; r++) {
      out[r] = (byte) column[r];
    }
    return out;
  }
}
