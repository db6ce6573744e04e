package dev.labelflight.engine.labelmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.analysis.LfAnalysis;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies that LF analysis and majority vote equal Snorkel's on every number and row, and that the
 * generative model is at least as accurate as Snorkel's LabelModel (minus one point), by running Snorkel
 * itself: {@code engine/conformance/snorkel_conformance.py} generates the matrices and compares. Needs the
 * Python from {@code engine/conformance/setup-snorkel-venv.sh} in {@code LABELFLIGHT_SNORKEL_PYTHON} (bin/test
 * sets it); skipped without it.
 */
class SnorkelConformanceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Small chunks, so that every matrix is accumulated over several of them. */
  private static final int CHUNK_ROWS = 1000;

  @Test
  void matchesSnorkel(@TempDir Path dir) throws Exception {
    String python = System.getenv("LABELFLIGHT_SNORKEL_PYTHON");
    Assumptions.assumeTrue(python != null && !python.isBlank(),
        "LABELFLIGHT_SNORKEL_PYTHON not set (bin/test sets it up)");
    Path script = findScript();
    run(python, script.toString(), "generate", dir.toString());
    List<Path> cases;
    try (var files = Files.list(dir)) {
      cases = files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
    for (Path meta : cases) {
      answer(dir, JSON.readTree(meta.toFile()));
    }
    Result check = run(python, script.toString(), "check", dir.toString());
    assertEquals(0, check.code(), "conformance with Snorkel failed:\n" + check.output());
  }

  private static void answer(Path dir, JsonNode meta) throws IOException {
    String name = meta.get("name").asText();
    int n = meta.get("n").asInt();
    int m = meta.get("m").asInt();
    int k = meta.get("k").asInt();
    byte[] all = Files.readAllBytes(dir.resolve(name + ".L.bin"));
    byte[] gold = meta.get("gold").asBoolean() ? Files.readAllBytes(dir.resolve(name + ".Y.bin")) : null;
    List<LabelChunk> chunks = new ArrayList<>();
    List<byte[]> golds = new ArrayList<>();
    for (int first = 0; first < n; first += CHUNK_ROWS) {
      int rows = Math.min(CHUNK_ROWS, n - first);
      byte[][] labels = new byte[m][];
      for (int j = 0; j < m; j++) {
        labels[j] = Arrays.copyOfRange(all, j * n + first, j * n + first + rows);
      }
      chunks.add(new LabelChunk(first, rows, labels));
      golds.add(gold == null ? null : Arrays.copyOfRange(gold, first, first + rows));
    }
    ObjectNode out = JSON.createObjectNode();
    if (meta.get("kind").asText().equals("analysis")) {
      LfAnalysis analysis = new LfAnalysis(IntStream.range(0, m).mapToObj(j -> "lf" + j).toList(), k, gold != null);
      for (int c = 0; c < chunks.size(); c++) {
        analysis.add(chunks.get(c), golds.get(c));
      }
      out.set("analysis", analysis.summary().toJson());
      MajorityVote mv = new MajorityVote(k, m);
      ArrayNode probs = out.putArray("mv_probs");
      for (LabelChunk chunk : chunks) {
        double[][] p = new double[k][chunk.rows()];
        mv.predictProba(chunk, p);
        for (int r = 0; r < chunk.rows(); r++) {
          ArrayNode row = probs.addArray();
          for (int c = 0; c < k; c++) {
            row.add(p[c][r]);
          }
        }
      }
      for (TiePolicy policy : TiePolicy.values()) {
        out.set("mv_" + policy.id(), predictions(mv, chunks, policy));
      }
    } else {
      long start = System.nanoTime();
      VotePatterns patterns = new VotePatterns(m, 1 << 20);
      chunks.forEach(patterns::add);
      GenerativeModel model = GenerativeModel.fit(patterns, k, GenerativeModel.Options.defaults());
      out.put("gen_millis", (System.nanoTime() - start) / 1_000_000);
      out.set("gen_random", predictions(model, chunks, TiePolicy.RANDOM));
    }
    JSON.writeValue(dir.resolve(name + ".out.json").toFile(), out);
  }

  private static ArrayNode predictions(LabelModel model, List<LabelChunk> chunks, TiePolicy policy) {
    ArrayNode preds = JSON.createArrayNode();
    Random random = new Random(7);
    for (LabelChunk chunk : chunks) {
      double[][] p = new double[model.classes()][chunk.rows()];
      model.predictProba(chunk, p);
      byte[] out = new byte[chunk.rows()];
      policy.predict(p, chunk.rows(), chunk.firstRow(), random, out);
      for (byte b : out) {
        preds.add(b);
      }
    }
    return preds;
  }

  private static Path findScript() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path p = d.resolve("conformance/snorkel_conformance.py");
      if (Files.exists(p)) {
        return p;
      }
    }
    throw new IllegalStateException("conformance/snorkel_conformance.py not found above " + Path.of("").toAbsolutePath());
  }

  private record Result(int code, String output) {}

  private static Result run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    // The script's report goes into the test output (surefire keeps it in the report files).
    System.out.print(output);
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException("timed out: " + String.join(" ", command));
    }
    int code = process.exitValue();
    if (code != 0 && !command[2].equals("check")) {
      throw new IllegalStateException("failed (" + code + "): " + String.join(" ", command) + "\n" + output);
    }
    return new Result(code, output);
  }
}
