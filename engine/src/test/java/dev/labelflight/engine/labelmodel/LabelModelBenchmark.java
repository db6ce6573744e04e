package dev.labelflight.engine.labelmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Java side of {@code perf/label-models/bench.py} (not a test): for each label matrix in a directory
 * (conformance file format), fits the generative model from 65,536-row chunks several times, prints the
 * median fit time, and writes the predictions (tie policy random) to NAME.preds.bin.
 * Usage: {@code LabelModelBenchmark DIR RUNS}.
 */
public final class LabelModelBenchmark {
  private static final int CHUNK_ROWS = 65_536;

  private LabelModelBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int runs = Integer.parseInt(args[1]);
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
      byte[] all = Files.readAllBytes(dir.resolve(name + ".L.bin"));
      List<LabelChunk> chunks = new ArrayList<>();
      for (int first = 0; first < n; first += CHUNK_ROWS) {
        int rows = Math.min(CHUNK_ROWS, n - first);
        byte[][] labels = new byte[m][];
        for (int j = 0; j < m; j++) {
          labels[j] = Arrays.copyOfRange(all, j * n + first, j * n + first + rows);
        }
        chunks.add(new LabelChunk(first, rows, labels));
      }
      long[] fitNanos = new long[runs];
      GenerativeModel model = null;
      for (int run = -2; run < runs; run++) { // two warm-up runs
        long start = System.nanoTime();
        VotePatterns patterns = new VotePatterns(m, 1 << 22);
        chunks.forEach(patterns::add);
        model = GenerativeModel.fit(patterns, k, GenerativeModel.Options.defaults());
        if (run >= 0) {
          fitNanos[run] = System.nanoTime() - start;
        }
      }
      long predictStart = System.nanoTime();
      byte[] preds = new byte[n];
      for (LabelChunk chunk : chunks) {
        double[][] p = new double[k][chunk.rows()];
        model.predictProba(chunk, p);
        byte[] out = new byte[chunk.rows()];
        TiePolicy.RANDOM.predict(p, chunk.rows(), chunk.firstRow(), null, out);
        System.arraycopy(out, 0, preds, (int) chunk.firstRow(), out.length);
      }
      long predictNanos = System.nanoTime() - predictStart;
      Files.write(dir.resolve(name + ".preds.bin"), preds);
      Arrays.sort(fitNanos);
      System.out.println(json.createObjectNode().put("name", name)
          .put("fit_ms_median", fitNanos[runs / 2] / 1e6)
          .put("predict_ms", predictNanos / 1e6)
          .put("epochs", model.epochs()));
    }
  }
}
