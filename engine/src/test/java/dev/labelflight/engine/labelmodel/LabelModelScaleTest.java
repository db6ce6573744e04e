package dev.labelflight.engine.labelmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;

/** Verifies the label model at scale: partial fits, 1,000 classes (int16 labels) and its linear statistics. */
class LabelModelScaleTest {

  /** A generated label matrix with its truth, in chunks of {@code chunkRows}. */
  private record Matrix(List<LabelChunk> chunks, short[] truth) {
    List<LabelChunk> rows(int from, int to) {
      List<LabelChunk> out = new ArrayList<>();
      for (LabelChunk c : chunks) {
        if (c.firstRow() >= from && c.firstRow() < to) {
          out.add(c);
        }
      }
      return out;
    }

    List<LabelChunk> lfs(int count) {
      int[] first = new int[count];
      for (int j = 0; j < count; j++) {
        first[j] = j;
      }
      return chunks.stream().map(c -> c.select(first)).toList();
    }
  }

  /** Uniform classes; LF j votes on {@code propensity} of rows, right with acc[j], else a uniform wrong class. */
  private static Matrix synthetic(int rows, int chunkRows, double[] acc, double propensity, int k, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    short[] truth = new short[rows];
    short[][] all = new short[acc.length][rows];
    for (int r = 0; r < rows; r++) {
      truth[r] = (short) random.nextInt(k);
      for (int j = 0; j < acc.length; j++) {
        boolean votes = random.nextDouble() < propensity;
        boolean right = random.nextDouble() < acc[j];
        int wrong = (truth[r] + 1 + random.nextInt(k - 1)) % k;
        all[j][r] = (short) (!votes ? -1 : right ? truth[r] : wrong);
      }
    }
    List<LabelChunk> chunks = new ArrayList<>();
    for (int first = 0; first < rows; first += chunkRows) {
      int n = Math.min(chunkRows, rows - first);
      short[][] part = new short[acc.length][];
      for (int j = 0; j < acc.length; j++) {
        part[j] = java.util.Arrays.copyOfRange(all[j], first, first + n);
      }
      chunks.add(new LabelChunk(first, n, part));
    }
    return new Matrix(chunks, truth);
  }

  private static GenerativeModel run(GenerativeModel.Fitter fitter, List<LabelChunk> chunks) {
    while (!fitter.done()) {
      chunks.forEach(c -> fitter.add(c, null));
      fitter.endEpoch();
    }
    return fitter.model();
  }

  private static double maxProbabilityGap(LabelModel a, LabelModel b, List<LabelChunk> chunks) {
    double gap = 0;
    for (LabelChunk chunk : chunks) {
      double[][] pa = new double[a.classes()][chunk.rows()];
      double[][] pb = new double[b.classes()][chunk.rows()];
      a.predictProba(chunk, pa);
      b.predictProba(chunk, pb);
      for (int c = 0; c < pa.length; c++) {
        for (int r = 0; r < chunk.rows(); r++) {
          gap = Math.max(gap, Math.abs(pa[c][r] - pb[c][r]));
        }
      }
    }
    return gap;
  }

  /**
   * Verifies that a fit on the first half of the rows followed by a partial fit on the second half gives
   * the same model as one fit on all rows, within 0.01 on LF accuracies and class balance and 0.03 on any
   * row's probabilities, and that the partial fit read only the second half.
   */
  @Test
  void partialFitOnTwoHalvesMatchesWholeFit() {
    double[] acc = {0.9, 0.8, 0.75, 0.7, 0.65, 0.6, 0.85};
    Matrix m = synthetic(40_000, 5000, acc, 0.4, 3, 11);
    GenerativeModel.Options options = GenerativeModel.Options.defaults();
    GenerativeModel whole = run(new GenerativeModel.Fitter(acc.length, 3, options), m.chunks());
    GenerativeModel first = run(new GenerativeModel.Fitter(acc.length, 3, options), m.rows(0, 20_000));
    GenerativeModel.Fitter partial = GenerativeModel.Fitter.partial(first, GenerativeModel.PartialFit.ROWS, acc.length,
        options);
    GenerativeModel both = run(partial, m.rows(20_000, 40_000));
    assertArrayEquals(whole.weights(), both.weights(), 0.01);
    assertArrayEquals(whole.classBalance(), both.classBalance(), 0.01);
    assertTrue(maxProbabilityGap(whole, both, m.chunks()) < 0.03);
    assertEquals(40_000, both.statistics().rows(), 1e-6);
    assertEquals(20_000, first.statistics().rows(), 1e-6);
    for (int j = 0; j < acc.length; j++) {
      assertEquals(acc[j], both.weights()[j], 0.03, "LF " + j);
    }
  }

  /**
   * Verifies that a partial fit adding LFs to a fitted model gives the model fitted on all LFs at once
   * (same EM fixed point, within 0.01), and that bad partial fits fail clearly.
   */
  @Test
  void partialFitOnNewLfsMatchesWholeFit() throws Exception {
    double[] acc = {0.9, 0.8, 0.75, 0.7, 0.65, 0.6, 0.85, 0.7};
    Matrix m = synthetic(20_000, 4000, acc, 0.4, 3, 12);
    GenerativeModel.Options options = GenerativeModel.Options.defaults();
    GenerativeModel whole = run(new GenerativeModel.Fitter(acc.length, 3, options), m.chunks());
    GenerativeModel base = run(new GenerativeModel.Fitter(5, 3, options), m.lfs(5));
    GenerativeModel grown = run(GenerativeModel.Fitter.partial(base, GenerativeModel.PartialFit.LFS, acc.length,
        options), m.chunks());
    assertArrayEquals(whole.weights(), grown.weights(), 0.01);
    assertTrue(maxProbabilityGap(whole, grown, m.chunks()) < 0.03);

    assertThrows(LabelFlightException.class,
        () -> GenerativeModel.Fitter.partial(base, GenerativeModel.PartialFit.ROWS, 6, options));
    assertThrows(LabelFlightException.class,
        () -> GenerativeModel.Fitter.partial(whole, GenerativeModel.PartialFit.LFS, 5, options));
    // A stored model keeps its statistics (a base for partial fits); without them it cannot be one.
    GenerativeModel rebuilt = (GenerativeModel) LabelModels.fromJson(new ObjectMapper().readTree(base.toJson().toString()));
    assertEquals(base.statistics().rows(), rebuilt.statistics().rows(), 0.0);
    com.fasterxml.jackson.databind.node.ObjectNode bare = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(base.toJson().toString());
    bare.remove("statistics");
    GenerativeModel withoutStatistics = (GenerativeModel) LabelModels.fromJson(bare);
    assertThrows(LabelFlightException.class,
        () -> GenerativeModel.Fitter.partial(withoutStatistics, GenerativeModel.PartialFit.ROWS, 5, options));
    assertEquals(GenerativeModel.PartialFit.LFS, GenerativeModel.PartialFit.parse("lfs"));
    assertThrows(LabelFlightException.class, () -> GenerativeModel.PartialFit.parse("columns"));
  }

  /**
   * Verifies that 1,000 classes work end to end: int16 label columns read from Arrow (whole or a slice), a fit whose
   * statistics hold one number per LF and class (not per class pair), better than majority vote, and
   * labels outside the classes refused.
   */
  @Test
  void thousandClasses() {
    int k = 1000;
    double[] acc = new double[24];
    for (int j = 0; j < acc.length; j++) {
      acc[j] = 0.35 + 0.6 * j / acc.length;
    }
    Matrix m = synthetic(4000, 1000, acc, 0.15, k, 13);
    List<LabelChunk> chunks = new ArrayList<>();
    try (RootAllocator allocator = new RootAllocator()) {
      for (LabelChunk c : m.chunks()) {
        try (VectorSchemaRoot root = asArrow(c, allocator)) {
          chunks.add(LabelChunk.of(root));
          LabelChunk slice = LabelChunk.of(root, 100, 50);
          assertEquals(c.firstRow() + 100, slice.firstRow());
          for (int j = 0; j < c.lfs(); j++) {
            assertArrayEquals(java.util.Arrays.copyOfRange(c.labels()[j], 100, 150), slice.labels()[j]);
          }
        }
      }
    }
    assertArrayEquals(m.chunks().get(2).labels()[3], chunks.get(2).labels()[3]);
    GenerativeModel model = run(new GenerativeModel.Fitter(acc.length, k, new GenerativeModel.Options(null, 20, 1e-6)), chunks);
    assertEquals(acc.length * k, model.statistics().voted().length);
    double gen = accuracy(model, chunks, m.truth());
    double mv = accuracy(new MajorityVote(k, acc.length), chunks, m.truth());
    assertTrue(gen > mv, "generative " + gen + " vs majority " + mv);
    double[] w = model.weights();
    assertTrue(w[acc.length - 1] > w[0] + 0.2, "learned accuracies follow the true ones: " + java.util.Arrays.toString(w));
    LabelChunk bad = new LabelChunk(0, 1, new short[][] {{1000}});
    assertThrows(LabelFlightException.class,
        () -> new GenerativeModel.Fitter(1, k, GenerativeModel.Options.defaults()).add(bad, null));
  }

  private static double accuracy(LabelModel model, List<LabelChunk> chunks, short[] truth) {
    int right = 0;
    int rows = 0;
    for (LabelChunk chunk : chunks) {
      double[][] p = new double[model.classes()][chunk.rows()];
      model.predictProba(chunk, p);
      short[] preds = new short[chunk.rows()];
      TiePolicy.RANDOM.predict(p, chunk.rows(), chunk.firstRow(), null, preds);
      for (int r = 0; r < preds.length; r++) {
        right += preds[r] == truth[(int) chunk.firstRow() + r] ? 1 : 0;
      }
      rows += chunk.rows();
    }
    return (double) right / rows;
  }

  /** The chunk as the label store keeps it: row_id, then int16 columns (int8 for the first LF, both widths mix). */
  private static VectorSchemaRoot asArrow(LabelChunk chunk, RootAllocator allocator) {
    VectorSchemaRoot root = null;
    BigIntVector rowId = new BigIntVector("row_id", allocator);
    List<org.apache.arrow.vector.FieldVector> vectors = new ArrayList<>();
    vectors.add(rowId);
    rowId.allocateNew(chunk.rows());
    for (int r = 0; r < chunk.rows(); r++) {
      rowId.set(r, chunk.firstRow() + r);
    }
    rowId.setValueCount(chunk.rows());
    for (int j = 0; j < chunk.lfs(); j++) {
      short[] column = chunk.labels()[j];
      boolean narrow = true;
      for (short v : column) {
        narrow &= v <= 127;
      }
      if (narrow && j == 0) {
        TinyIntVector v = new TinyIntVector("lf" + j, allocator);
        v.allocateNew(chunk.rows());
        for (int r = 0; r < chunk.rows(); r++) {
          v.set(r, column[r]);
        }
        v.setValueCount(chunk.rows());
        vectors.add(v);
      } else {
        SmallIntVector v = new SmallIntVector("lf" + j, allocator);
        v.allocateNew(chunk.rows());
        for (int r = 0; r < chunk.rows(); r++) {
          v.set(r, column[r]);
        }
        v.setValueCount(chunk.rows());
        vectors.add(v);
      }
    }
    root = new VectorSchemaRoot(vectors);
    root.setRowCount(chunk.rows());
    return root;
  }
}
