package dev.labelflight.engine.labelmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LabelModelKindsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static SyntheticVotes independent(int rows, int classes, long seed) {
    double[] acc = {0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.85, 0.7, 0.55};
    double[] prop = {0.3, 0.5, 0.4, 0.6, 0.5, 0.4, 0.7, 0.2, 0.3, 0.5};
    return new SyntheticVotes(rows, classes, SyntheticVotes.uniform(classes), acc, prop, null, 0, seed);
  }

  private static LabelModel fit(ModelKind kind, SyntheticVotes data) throws Exception {
    ModelFitter fitter = FitSettings.defaults().fitter(kind, data.accuracy.length, data.classes);
    FitSettings.fitAll(List.of(fitter), data.passes(4096), null);
    return fitter.model();
  }

  /**
   * Verifies that every learned kind recovers the LFs' accuracies of a matrix generated with known ones
   * (independent LFs, 3 classes, 40k rows) within 0.05, and predicts at least as well as majority vote.
   */
  @Test
  void learnedKindsRecoverAccuracies() throws Exception {
    SyntheticVotes data = independent(40_000, 3, 7);
    double mv = data.coveredAccuracy(fit(ModelKind.MAJORITY, data));
    for (ModelKind kind : List.of(ModelKind.GENERATIVE, ModelKind.DAWID_SKENE, ModelKind.TRIPLET)) {
      LabelModel model = fit(kind, data);
      double[] w = model.weights();
      for (int j = 0; j < w.length; j++) {
        assertEquals(data.accuracy[j], w[j], 0.05, kind + ": accuracy of LF " + j + " in " + java.util.Arrays.toString(w));
      }
      double acc = data.coveredAccuracy(model);
      assertTrue(acc >= mv - 0.005, kind + " accuracy " + acc + " < majority vote " + mv);
    }
    for (ModelKind kind : List.of(ModelKind.WEIGHTED_MAJORITY, ModelKind.SNORKEL)) {
      double acc = data.coveredAccuracy(fit(kind, data));
      assertTrue(acc >= mv - 0.01, kind + " accuracy " + acc + " vs majority vote " + mv);
    }
  }

  /** Verifies the triplet model's closed form on two classes, where FlyingSquid's derivation is exact. */
  @Test
  void tripletRecoversBinaryAccuracies() throws Exception {
    SyntheticVotes data = independent(60_000, 2, 11);
    double[] w = fit(ModelKind.TRIPLET, data).weights();
    for (int j = 0; j < w.length; j++) {
      assertEquals(data.accuracy[j], w[j], 0.04, "LF " + j);
    }
  }

  /**
   * Verifies that EM models report their loss per epoch, never rising (EM does not lower the likelihood),
   * and say honestly whether they converged: a cap of 2 epochs is not convergence.
   */
  @Test
  void convergenceIsReported() throws Exception {
    SyntheticVotes data = independent(20_000, 3, 3);
    for (ModelKind kind : List.of(ModelKind.GENERATIVE, ModelKind.DAWID_SKENE)) {
      ModelFitter fitter = FitSettings.defaults().fitter(kind, 10, 3);
      FitSettings.fitAll(List.of(fitter), data.passes(5000), null);
      FitReport report = fitter.report();
      assertTrue(report.converged(), kind + " " + report);
      assertTrue(report.iterations() < 100, kind + " took " + report.iterations());
      List<Double> loss = report.loss();
      assertFalse(loss.isEmpty());
      for (int i = 1; i < loss.size(); i++) {
        assertTrue(loss.get(i) <= loss.get(i - 1) + 1e-9, kind + " loss rose at epoch " + i + ": " + loss);
      }
      ModelFitter capped = FitSettings.defaults().withMaxEpochs(2).fitter(kind, 10, 3);
      FitSettings.fitAll(List.of(capped), data.passes(5000), null);
      assertFalse(capped.report().converged(), kind + " capped at 2 epochs must not claim convergence");
      assertNotNull(capped.report().note());
    }
  }

  /**
   * Verifies that every kind's JSON form predicts exactly as the fitted model (what artifacts store and the
   * Python client predicts with), and that the generative model's log-linear form equals it.
   */
  @Test
  void jsonRoundTripPredictsTheSame() throws Exception {
    SyntheticVotes data = independent(5_000, 3, 5);
    LabelChunk all = new LabelChunk(0, data.rows, data.labels);
    for (ModelKind kind : ModelKind.values()) {
      LabelModel model = fit(kind, data);
      LabelModel back = LabelModels.fromJson(JSON.readTree(JSON.writeValueAsString(model.toJson())));
      double[][] a = new double[3][data.rows];
      double[][] b = new double[3][data.rows];
      model.predictProba(all, a);
      back.predictProba(all, b);
      for (int c = 0; c < 3; c++) {
        assertArrayEquals(a[c], b[c], 0.0, kind + " class " + c);
      }
      if (model instanceof GenerativeModel g) {
        double[][] l = new double[3][data.rows];
        g.asLogLinear().predictProba(all, l);
        for (int c = 0; c < 3; c++) {
          assertArrayEquals(a[c], l[c], 0.0, "generative as log-linear, class " + c);
        }
      }
    }
  }

  /** Verifies that predictions under every tie policy are the same however the rows are chunked. */
  @Test
  void tiesDoNotDependOnChunking() throws Exception {
    SyntheticVotes data = independent(6_000, 3, 9);
    LabelModel model = fit(ModelKind.MAJORITY, data);
    for (TiePolicy policy : TiePolicy.values()) {
      TiePolicy.Breaker breaker = policy.with(42L, new double[] {0.2, 0.5, 0.3});
      short[] whole = predict(model, data.chunks(data.rows), breaker);
      short[] pieces = predict(model, data.chunks(777), breaker);
      assertArrayEquals(whole, pieces, policy.id());
    }
    // Seeded random differs between seeds on tied rows, and prior picks the tied class of highest prior.
    short[] s1 = predict(model, data.chunks(1000), TiePolicy.RANDOM.with(1L, null));
    short[] s2 = predict(model, data.chunks(1000), TiePolicy.RANDOM.with(2L, null));
    assertFalse(java.util.Arrays.equals(s1, s2));
    double[][] tied = {{0.5}, {0.0}, {0.5}};
    short[] out = new short[1];
    TiePolicy.PRIOR.with(null, new double[] {0.2, 0.5, 0.3}).predict(tied, 1, 0, out);
    assertEquals(2, out[0]);
  }

  private static short[] predict(LabelModel model, List<LabelChunk> chunks, TiePolicy.Breaker breaker) {
    List<Short> all = new ArrayList<>();
    for (LabelChunk chunk : chunks) {
      double[][] probs = new double[model.classes()][chunk.rows()];
      model.predictProba(chunk, probs);
      short[] out = new short[chunk.rows()];
      breaker.predict(probs, chunk.rows(), chunk.firstRow(), out);
      for (short s : out) {
        all.add(s);
      }
    }
    short[] out = new short[all.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = all.get(i);
    }
    return out;
  }

  /**
   * Verifies auto selection with dev gold: on a matrix where a block of correlated, mediocre LFs outvotes
   * a few accurate ones, the pick is the candidate with the best dev accuracy, it is better than majority
   * vote on the whole matrix, and every candidate is reported with its dev score.
   */
  @Test
  void autoPicksByDevGold() throws Exception {
    double[] acc = {0.92, 0.9, 0.88, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6};
    double[] prop = {0.5, 0.5, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6};
    int[] copyOf = {-1, -1, -1, -1, 3, 3, 3, 3, 3};
    SyntheticVotes data = new SyntheticVotes(30_000, 2, new double[] {0.5, 0.5}, acc, prop, copyOf, 0.9, 21);
    Selection result = auto(data, 2_000);
    assertTrue(result.supervised(), result.rule());
    assertEquals(ModelKind.candidates().size(), result.candidates().size());
    double bestDev = result.candidates().stream().filter(c -> c.devAccuracy() != null)
        .mapToDouble(ModelSelection.Candidate::devAccuracy).max().orElseThrow();
    assertEquals(bestDev, result.chosenCandidate().devAccuracy(), 1e-12);
    double chosen = data.coveredAccuracy(result.chosenCandidate().model());
    double mv = data.coveredAccuracy(new MajorityVote(2, acc.length));
    assertTrue(chosen >= mv, "auto pick " + result.chosen() + " " + chosen + " vs majority " + mv);
    assertTrue(result.rule().contains("dev rows"), result.rule());
  }

  /** Verifies that without gold the choice says it is unsupervised and names its rule. */
  @Test
  void autoWithoutGoldSaysSo() throws Exception {
    SyntheticVotes data = independent(10_000, 3, 4);
    Selection result = auto(data, 0);
    assertFalse(result.supervised());
    assertTrue(result.rule().startsWith("unsupervised"), result.rule());
    assertEquals(ModelKind.GENERATIVE, result.chosen());
  }

  private record Selection(ModelKind chosen, boolean supervised, String rule, List<ModelSelection.Candidate> candidates,
      ModelSelection.Candidate chosenCandidate) {}

  private static Selection auto(SyntheticVotes data, int devRows) throws Exception {
    int m = data.accuracy.length;
    List<ModelFitter> fitters = new ArrayList<>();
    for (ModelKind kind : ModelKind.candidates()) {
      fitters.add(FitSettings.defaults().fitter(kind, m, data.classes));
    }
    RowSample dev = new RowSample(m, 10_000);
    RowSample sample = new RowSample(m, 10_000);
    FitSettings.fitAll(fitters, data.passes(4096), (chunk, counts) -> {
      int[] truth = data.truthOf(chunk);
      int[] gold = new int[truth.length];
      for (int r = 0; r < gold.length; r++) {
        gold[r] = chunk.firstRow() + r < devRows ? truth[r] : -1;
      }
      dev.addGold(chunk, gold);
      sample.add(chunk, counts, null);
    });
    List<ModelSelection.Candidate> fitted = new ArrayList<>();
    List<String> names = List.of("a", "b", "c").subList(0, data.classes);
    for (ModelFitter f : fitters) {
      fitted.add(new ModelSelection.Candidate(f.kind(), f.model(), f.report(),
          FitDiagnostics.of(f.model(), sample, names), null, null, null));
    }
    ModelSelection.Selection s = ModelSelection.select(fitted, dev);
    return new Selection(s.chosen(), s.supervised(), s.rule(), s.candidates(), s.chosenCandidate());
  }

  /** Verifies the diagnostics: a model that calls nearly everything one class is flagged. */
  @Test
  void degenerateBalanceIsFlagged() throws Exception {
    double[] acc = {0.97, 0.97, 0.97};
    double[] prop = {0.5, 0.5, 0.5};
    SyntheticVotes data = new SyntheticVotes(10_000, 2, new double[] {0.995, 0.005}, acc, prop, null, 0, 2);
    RowSample sample = new RowSample(3, 5_000);
    for (LabelChunk c : data.chunks(2000)) {
      sample.add(c, null, null);
    }
    FitDiagnostics d = FitDiagnostics.of(new MajorityVote(2, 3), sample, List.of("HAM", "SPAM"));
    assertTrue(d.warnings().stream().anyMatch(w -> w.contains("'HAM'")), d.warnings().toString());
    assertEquals(1.0, d.agreementWithMajority(), 1e-12);
  }

  /** Verifies that kinds with a memory bound refuse a label space past it with RESOURCE_EXHAUSTED naming the limit. */
  @Test
  void sizeBoundsAreClearErrors() {
    LabelFlightException e = assertThrows(LabelFlightException.class,
        () -> FitSettings.defaults().fitter(ModelKind.SNORKEL, 2_000, 10));
    assertEquals(LabelFlightException.Kind.RESOURCE_EXHAUSTED, e.kind());
    assertEquals((long) SnorkelModel.MAX_DIMENSION, ((Number) e.details().get("limit")).longValue());
    assertThrows(LabelFlightException.class, () -> FitSettings.defaults().fitter(ModelKind.DAWID_SKENE, 2_000, 100));
    assertThrows(LabelFlightException.class, () -> FitSettings.defaults().fitter(ModelKind.TRIPLET, 5_000, 2));
  }
}
