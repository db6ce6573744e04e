package dev.labelflight.engine.labelmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Java side of {@code perf/label-models/kinds.py} (not a test): for each label matrix in a directory
 * (conformance file format, with {@code NAME.Y.bin} truth and {@code dev} = how many leading rows count as
 * dev gold), fits every model kind and {@code auto} from 65,536-row chunks over shared passes, and prints per
 * kind one JSON line: fit time, accuracy against the truth on the rows after the dev rows, mean absolute error
 * of the recovered LF accuracies against {@code NAME.acc.bin} (float64), and what {@code auto} picked.
 * Usage: {@code LabelModelKindsBenchmark DIR}.
 */
public final class LabelModelKindsBenchmark {
  private static final int CHUNK_ROWS = 65_536;

  private LabelModelKindsBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    ObjectMapper json = new ObjectMapper();
    List<Path> metas;
    try (var files = Files.list(dir)) {
      metas = files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
    }
    for (Path metaPath : metas) {
      JsonNode meta = json.readTree(metaPath.toFile());
      String name = meta.get("name").asText();
      int n = meta.get("n").asInt();
      int m = meta.get("m").asInt();
      int k = meta.get("k").asInt();
      int devRows = meta.path("dev").asInt(0);
      byte[] all = Files.readAllBytes(dir.resolve(name + ".L.bin"));
      byte[] truth = Files.readAllBytes(dir.resolve(name + ".Y.bin"));
      double[] trueAcc = new double[m];
      java.nio.ByteBuffer.wrap(Files.readAllBytes(dir.resolve(name + ".acc.bin")))
          .order(java.nio.ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(trueAcc);
      List<LabelChunk> chunks = new ArrayList<>();
      for (int first = 0; first < n; first += CHUNK_ROWS) {
        int rows = Math.min(CHUNK_ROWS, n - first);
        byte[][] labels = new byte[m][];
        for (int j = 0; j < m; j++) {
          labels[j] = Arrays.copyOfRange(all, j * n + first, j * n + first + rows);
        }
        chunks.add(new LabelChunk(first, rows, labels));
      }
      FitSettings.Passes passes = consumer -> chunks.forEach(c -> consumer.accept(c, null));
      List<ModelSelection.Candidate> fitted = new ArrayList<>();
      RowSample dev = new RowSample(m, Math.max(1, devRows));
      RowSample sample = new RowSample(m, 20_000);
      boolean first = true;
      for (ModelKind kind : ModelKind.candidates()) {
        ModelFitter fitter;
        try {
          fitter = FitSettings.defaults().fitter(kind, m, k);
        } catch (RuntimeException e) {
          System.out.println(json.createObjectNode().put("name", name).put("kind", kind.id()).put("skipped", e.getMessage()));
          continue;
        }
        boolean collect = first;
        long start = System.nanoTime();
        FitSettings.fitAll(List.of(fitter), passes, collect ? (chunk, counts) -> {
          int[] gold = new int[chunk.rows()];
          for (int r = 0; r < gold.length; r++) {
            long row = chunk.firstRow() + r;
            gold[r] = row < devRows ? truth[(int) row] : -1;
          }
          dev.addGold(chunk, gold);
          sample.add(chunk, counts, null);
        } : null);
        long fitNanos = System.nanoTime() - start;
        first = false;
        LabelModel model = fitter.model();
        fitted.add(new ModelSelection.Candidate(kind, model, fitter.report(),
            FitDiagnostics.of(model, sample, List.of()), null, null, null));
        ObjectNode line = json.createObjectNode().put("name", name).put("kind", kind.id())
            .put("fit_ms", fitNanos / 1e6).put("test_accuracy", testAccuracy(model, chunks, truth, devRows))
            .put("converged", fitter.report().converged()).put("iterations", fitter.report().iterations());
        if (kind != ModelKind.MAJORITY) {
          double[] w = model.weights();
          double err = 0;
          for (int j = 0; j < m; j++) {
            err += Math.abs(w[j] - trueAcc[j]);
          }
          line.put("acc_mae", err / m);
        }
        System.out.println(line);
      }
      ModelSelection.Selection selection = ModelSelection.select(fitted, devRows > 0 ? dev : null);
      System.out.println(json.createObjectNode().put("name", name).put("kind", "auto")
          .put("picked", selection.chosen().id()).put("rule", selection.rule())
          .put("test_accuracy", testAccuracy(selection.chosenCandidate().model(), chunks, truth, devRows)));
    }
  }

  /** Accuracy (ties by class prior) against the truth on rows at and after {@code devRows}. */
  private static double testAccuracy(LabelModel model, List<LabelChunk> chunks, byte[] truth, int devRows) {
    long correct = 0;
    long total = 0;
    TiePolicy.Breaker breaker = TiePolicy.PRIOR.with(null, model.classBalance());
    for (LabelChunk chunk : chunks) {
      double[][] p = new double[model.classes()][chunk.rows()];
      model.predictProba(chunk, p);
      short[] out = new short[chunk.rows()];
      breaker.predict(p, chunk.rows(), chunk.firstRow(), out);
      for (int r = 0; r < out.length; r++) {
        long row = chunk.firstRow() + r;
        if (row >= devRows) {
          total++;
          if (out[r] == truth[(int) row]) {
            correct++;
          }
        }
      }
    }
    return total == 0 ? 0 : (double) correct / total;
  }
}
