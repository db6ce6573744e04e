package dev.labelflight.engine.labelmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.analysis.LfSummary;
import dev.labelflight.engine.analysis.MultiLabelAnalysis;
import dev.labelflight.engine.analysis.MultiLabelGold;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.labelmatrix.LfClasses;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.junit.jupiter.api.Test;

/** Verifies multi-label analysis, gold and label models, class by class, on a generated job. */
class MultiLabelTest {
  private static final int CLASSES = 4;
  private static final int ROWS = 12_000;
  private static final int CHUNK = 3000; // divides ROWS
  private static final List<String> CLASS_NAMES = List.of("sports", "politics", "tech", "art");

  /**
   * A generated multi-label job: each row has each class with probability 0.2-0.5; LF j is about class
   * j % CLASSES (the last class has no LF), votes positive (1) or negative (0) per {@code positive[j]}; it fires
   * mostly on rows where its vote is right. Gold is unknown on one row in ten.
   */
  private record Job(LfClasses lfClasses, short[][] labels, boolean[][] truth, boolean[] goldKnown) {
    static Job generate(long seed, int lfs) {
      SplittableRandom random = new SplittableRandom(seed);
      int[] classOf = new int[lfs];
      boolean[] positive = new boolean[lfs];
      double[] hit = new double[lfs];
      double[] miss = new double[lfs];
      for (int j = 0; j < lfs; j++) {
        classOf[j] = j % (CLASSES - 1);
        positive[j] = j % 3 != 2;
        hit[j] = 0.3 + 0.4 * random.nextDouble();
        miss[j] = 0.02 + 0.1 * random.nextDouble();
      }
      boolean[][] truth = new boolean[CLASSES][ROWS];
      boolean[] known = new boolean[ROWS];
      short[][] labels = new short[lfs][ROWS];
      for (int r = 0; r < ROWS; r++) {
        known[r] = random.nextInt(10) != 0;
        for (int c = 0; c < CLASSES; c++) {
          truth[c][r] = random.nextDouble() < 0.2 + 0.1 * c;
        }
        for (int j = 0; j < lfs; j++) {
          boolean rightRow = truth[classOf[j]][r] == positive[j];
          boolean fires = random.nextDouble() < (rightRow ? hit[j] : miss[j]);
          labels[j][r] = (short) (!fires ? -1 : positive[j] ? 1 : 0);
        }
      }
      return new Job(new LfClasses(classOf, CLASSES), labels, truth, known);
    }

    List<LabelChunk> chunks() {
      List<LabelChunk> out = new ArrayList<>();
      for (int first = 0; first < ROWS; first += CHUNK) {
        short[][] part = new short[labels.length][];
        for (int j = 0; j < labels.length; j++) {
          part[j] = Arrays.copyOfRange(labels[j], first, first + CHUNK);
        }
        out.add(new LabelChunk(first, CHUNK, part));
      }
      return out;
    }

    /** gold[c][row] for rows first..first+CHUNK-1: 1, 0, or -1 where unknown. */
    short[][] gold(int first) {
      short[][] gold = new short[CLASSES][CHUNK];
      for (int c = 0; c < CLASSES; c++) {
        for (int r = 0; r < CHUNK; r++) {
          gold[c][r] = (short) (!goldKnown[first + r] ? -1 : truth[c][first + r] ? 1 : 0);
        }
      }
      return gold;
    }

    List<String> lfNames() {
      List<String> names = new ArrayList<>();
      for (int j = 0; j < labels.length; j++) {
        names.add("lf" + j);
      }
      return names;
    }
  }

  /**
   * Verifies that per-class analysis equals an independent row-by-row computation of Snorkel's definitions
   * over the LFs about each class, with multi-label gold, on every number.
   */
  @Test
  void perClassAnalysisEqualsIndependentComputation() throws Exception {
    Job job = Job.generate(21, 11);
    MultiLabelAnalysis analysis = new MultiLabelAnalysis(job.lfNames(), CLASS_NAMES, job.lfClasses(), true);
    for (LabelChunk chunk : job.chunks()) {
      analysis.add(chunk, job.gold((int) chunk.firstRow()));
    }
    for (int c = 0; c < CLASSES; c++) {
      int[] lfs = job.lfClasses().lfsOf(c);
      LfSummary s = analysis.summary(c);
      long anyVote = 0;
      long overlapRows = 0;
      long conflictRows = 0;
      for (int i = 0; i < lfs.length; i++) {
        long votes = 0;
        long overlaps = 0;
        long conflicts = 0;
        long correct = 0;
        long incorrect = 0;
        TreeSet<Integer> polarity = new TreeSet<>();
        for (int r = 0; r < ROWS; r++) {
          int v = job.labels()[lfs[i]][r];
          if (v == -1) {
            continue;
          }
          votes++;
          polarity.add(v);
          int voting = 0;
          TreeSet<Integer> values = new TreeSet<>();
          for (int other : lfs) {
            if (job.labels()[other][r] != -1) {
              voting++;
              values.add((int) job.labels()[other][r]);
            }
          }
          overlaps += voting > 1 ? 1 : 0;
          conflicts += values.size() > 1 ? 1 : 0;
          if (job.goldKnown()[r]) {
            int gold = job.truth()[c][r] ? 1 : 0;
            correct += v == gold ? 1 : 0;
            incorrect += v != gold ? 1 : 0;
          }
        }
        assertEquals(votes / (double) ROWS, s.coverage()[i], 1e-12, "class " + c + " LF " + lfs[i]);
        assertEquals(overlaps / (double) ROWS, s.overlaps()[i], 1e-12);
        assertEquals(conflicts / (double) ROWS, s.conflicts()[i], 1e-12);
        assertArrayEquals(polarity.stream().mapToInt(Integer::intValue).toArray(), s.polarity()[i]);
        assertEquals(correct, s.correct()[i]);
        assertEquals(incorrect, s.incorrect()[i]);
        assertEquals(0.5 * ((correct - (votes - correct)) / (double) votes + 1), s.empAcc()[i], 1e-12);
      }
      for (int r = 0; r < ROWS; r++) {
        TreeSet<Integer> values = new TreeSet<>();
        int voting = 0;
        for (int j : lfs) {
          if (job.labels()[j][r] != -1) {
            voting++;
            values.add((int) job.labels()[j][r]);
          }
        }
        anyVote += voting > 0 ? 1 : 0;
        overlapRows += voting > 1 ? 1 : 0;
        conflictRows += values.size() > 1 ? 1 : 0;
      }
      assertEquals(anyVote / (double) ROWS, s.totalCoverage(), 1e-12);
      assertEquals(overlapRows / (double) ROWS, s.totalOverlap(), 1e-12);
      assertEquals(conflictRows / (double) ROWS, s.totalConflict(), 1e-12);
    }
    var json = new ObjectMapper().readTree(analysis.toJson().toString());
    assertTrue(json.get("multiLabel").asBoolean());
    assertEquals(ROWS, json.get("rows").asLong());
    assertEquals("politics", json.get("classes").get(1).get("class").asText());
    assertEquals(4, json.get("classes").get(1).get("lfs").get(1).get("j").asInt()); // LF 4 is the 2nd about class 1
    assertEquals(0, json.get("classes").get(3).get("lfs").size());
    short[][] twos = new short[11][CHUNK];
    twos[3][0] = 2;
    assertThrows(LabelFlightException.class, () -> analysis.add(new LabelChunk(0, CHUNK, twos), job.gold(0)));
  }

  /**
   * Verifies that the multi-label model gives per class exactly the binary model fitted alone on that
   * class's LFs, that rows need not sum to 1, that it beats majority vote per class, and survives JSON.
   */
  @Test
  void perClassModels() throws Exception {
    Job job = Job.generate(22, 15);
    List<LabelChunk> chunks = job.chunks();
    MultiLabelModel.Fitter fitter = new MultiLabelModel.Fitter(job.lfClasses(), null, 100, 1e-6);
    while (!fitter.done()) {
      chunks.forEach(fitter::add);
      fitter.endEpoch();
    }
    MultiLabelModel model = fitter.model();
    MultiLabelModel majority = MultiLabelModel.majority(job.lfClasses());
    MultiLabelModel copy = (MultiLabelModel) LabelModels.fromJson(new ObjectMapper().readTree(model.toJson().toString()));
    boolean notSummingToOne = false;
    for (int c = 0; c < CLASSES; c++) {
      int[] lfs = job.lfClasses().lfsOf(c);
      GenerativeModel.Fitter alone = new GenerativeModel.Fitter(lfs.length, 2, GenerativeModel.Options.defaults());
      while (!alone.done()) {
        chunks.forEach(chunk -> alone.add(chunk.select(lfs), null));
        alone.endEpoch();
      }
      GenerativeModel single = alone.model();
      int right = 0;
      int rightMajority = 0;
      for (LabelChunk chunk : chunks) {
        double[][] p = new double[CLASSES][CHUNK];
        double[][] q = new double[2][CHUNK];
        double[][] mv = new double[CLASSES][CHUNK];
        double[][] again = new double[CLASSES][CHUNK];
        model.predictProba(chunk, p);
        single.predictProba(chunk.select(lfs), q);
        majority.predictProba(chunk, mv);
        copy.predictProba(chunk, again);
        assertArrayEquals(q[1], p[c], 1e-12);
        assertArrayEquals(p[c], again[c], 1e-12);
        for (int r = 0; r < CHUNK; r++) {
          boolean has = job.truth()[c][(int) chunk.firstRow() + r];
          right += (p[c][r] > 0.5) == has ? 1 : 0;
          rightMajority += (mv[c][r] > 0.5 || (mv[c][r] == 0.5 && r % 2 == 0)) == has ? 1 : 0;
          double sum = 0;
          for (double[] column : p) {
            sum += column[r];
          }
          notSummingToOne |= Math.abs(sum - 1) > 0.1;
        }
      }
      if (lfs.length > 0) {
        assertTrue(right > rightMajority, "class " + c + ": generative " + right + " vs majority " + rightMajority);
      } else {
        assertEquals(model.classBalance()[c], model.model(c).classBalance()[1]);
      }
    }
    assertTrue(notSummingToOne);
    assertEquals(15, model.weights().length);
  }

  /** Verifies multi-label gold read from a list&lt;utf8&gt; column, and its errors. */
  @Test
  void multiLabelGold() {
    try (RootAllocator allocator = new RootAllocator();
         ListVector list = ListVector.empty("gold", allocator);
         IntVector other = new IntVector("n", allocator)) {
      UnionListWriter writer = list.getWriter();
      String[][] rows = {{"tech", "art"}, {}, null, {"sports"}};
      for (int r = 0; r < rows.length; r++) {
        writer.setPosition(r);
        if (rows[r] == null) {
          continue;
        }
        writer.startList();
        for (String name : rows[r]) {
          writer.writeVarChar(name);
        }
        writer.endList();
      }
      writer.setValueCount(rows.length);
      other.allocateNew(rows.length);
      other.setValueCount(rows.length);
      try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(list, other))) {
        root.setRowCount(rows.length);
        list.setNull(2);
        MultiLabelGold gold = new MultiLabelGold("gold", CLASS_NAMES, root.getSchema());
        short[][] g = gold.read(root, 0);
        assertArrayEquals(new short[] {0, 0, -1, 1}, g[0]);
        assertArrayEquals(new short[] {1, 0, -1, 0}, g[2]);
        assertArrayEquals(new short[] {1, 0, -1, 0}, g[3]);
        assertThrows(LabelFlightException.class, () -> new MultiLabelGold("n", CLASS_NAMES, root.getSchema()));
        assertThrows(LabelFlightException.class, () -> new MultiLabelGold("nope", CLASS_NAMES, root.getSchema()));
        LabelFlightException e = assertThrows(LabelFlightException.class,
            () -> new MultiLabelGold("gold", List.of("sports", "tech"), root.getSchema()).read(root, 100));
        assertTrue(e.getMessage().contains("'art' at row 100"), e.getMessage());
      }
    }
  }
}
