import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.lf.CompiledLfSet;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.lf.ResidentText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The skip index in the engine alone, one thread: 1,000,000 generated reviews in chunks of 65,536 rows;
 * per LF set the evaluation's thread CPU time over all chunks with per-job text copies (as before) and with kept,
 * indexed columns (first run: copy and index build; then median of 7), and the heap the kept columns take.
 * Run by perf/skip-index/run.sh.
 */
public class IndexCost {
  /** Thread CPU time, not wall time: the machine is shared and wall times swing with its load. */
  static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();
  static final LabelSpace LABELS = new LabelSpace(List.of("HAM", "SPAM"));
  static final String[][] SETS = {
      {"keyword, words (interactive loop's edit)",
          "{\"name\":\"kw_good\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"great\",\"excellent\",\"love\",\"run7\"],\"label\":\"HAM\"}"},
      {"keyword, phrases (signatures)",
          "{\"name\":\"kw_spam\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"free money\",\"click here\",\"you won\"],\"label\":\"SPAM\"}"},
      {"keyword, case-sensitive words (signatures)",
          "{\"name\":\"kw_cs\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"Winner\",\"Excellent\"],\"caseSensitive\":true,\"label\":\"SPAM\"}"},
      {"regex with literal (signatures on its prefilter)",
          "{\"name\":\"re_url\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"https?://[a-z.]+/free\",\"label\":\"SPAM\"}"}};

  public static void main(String[] args) throws Exception {
    int total = 1_000_000;
    int chunkRows = 65_536;
    try (RootAllocator allocator = new RootAllocator()) {
      ReviewsGenerator gen = new ReviewsGenerator(42);
      List<VectorSchemaRoot> chunks = new ArrayList<>();
      List<ResidentText> kept = new ArrayList<>();
      for (long first = 0; first < total; first += chunkRows) {
        VectorSchemaRoot chunk = gen.batch(first, (int) Math.min(chunkRows, total - first), allocator);
        chunks.add(chunk);
        kept.add(new ResidentText(chunk, new dev.labelflight.engine.lf.HeapAllowance(Long.MAX_VALUE)));
      }
      LfCompiler compiler = new LfCompiler(LfLimits.DEFAULT);
      var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
      System.out.println("| LF | per-job copies (before) | kept, first run (copy + index build) | kept, indexed (after) |");
      System.out.println("| --- | --- | --- | --- |");
      for (String[] set : SETS) {
        CompiledLfSet lfs = compiler.compile(List.of(LfSpec.parse(mapper.readTree(set[1]), 0)), LABELS,
            ReviewsGenerator.SCHEMA);
        double copies = median(() -> run(lfs, chunks, null));
        double first = run(lfs, chunks, kept);
        double indexed = median(() -> run(lfs, chunks, kept));
        System.out.printf("| %s | %.1f ms | %.1f ms | %.1f ms |%n", set[0], copies, first, indexed);
      }
      long bytes = kept.stream().mapToLong(ResidentText::bytes).sum();
      System.out.printf("kept text column heap: %.1f MiB = %.1f bytes per row (text, offsets, signatures, word index)%n",
          bytes / 1048576.0, bytes / (double) total);
      System.out.println(dev.labelflight.perf.MemoryContract.thisJvm("this JVM").measure().summary());
      for (VectorSchemaRoot c : chunks) {
        c.close();
      }
    }
  }

  interface Timed {
    double run() throws Exception;
  }

  static double median(Timed t) throws Exception {
    t.run();
    double[] ms = new double[7];
    for (int i = 0; i < ms.length; i++) {
      ms[i] = t.run();
    }
    Arrays.sort(ms);
    return ms[ms.length / 2];
  }

  static double run(CompiledLfSet lfs, List<VectorSchemaRoot> chunks, List<ResidentText> kept) {
    long t0 = CPU.getCurrentThreadCpuTime();
    long votes = 0;
    for (int i = 0; i < chunks.size(); i++) {
      byte[][] labels = lfs.evaluate(chunks.get(i), null, kept == null ? null : kept.get(i));
      for (byte b : labels[0]) {
        votes += b >= 0 ? 1 : 0;
      }
    }
    if (votes == 0) {
      throw new IllegalStateException("no votes");
    }
    return (CPU.getCurrentThreadCpuTime() - t0) / 1e6;
  }
}
