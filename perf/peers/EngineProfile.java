import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.lf.CompiledLfSet;
import dev.labelflight.engine.lf.HeapAllowance;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.lf.ResidentText;
import java.io.File;
import java.io.FileInputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The peer benchmark's LF sets in the engine alone, one thread, thread CPU time (the machine is shared):
 * per LF alone and per whole set, over the chunks of {@code DIR/messages.arrow} (65,536-row batches written by
 * {@code bench.py export DIR}), as the task queue runs them (per-job text copies) and as a resident copy
 * does (kept columns; first run = copy + index build, then the median). Prints Markdown tables; the set's
 * label matrix checksum shows that every variant computed the same labels.
 *
 * <pre>perf/peers/profile.sh DIR [SET...] [--runs 5] [--only NAME]</pre>
 */
public class EngineProfile {
  static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int runs = 5;
    String only = null;
    List<String> sets = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--only" -> only = args[++i];
        default -> sets.add(args[i]);
      }
    }
    if (sets.isEmpty()) {
      sets = List.of("spam", "support");
    }
    ObjectMapper mapper = new ObjectMapper();
    try (RootAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> chunks = new ArrayList<>();
      Schema schema;
      try (FileInputStream in = new FileInputStream(dir.resolve("messages.arrow").toFile());
          ArrowFileReader reader = new ArrowFileReader(in.getChannel(), allocator)) {
        schema = reader.getVectorSchemaRoot().getSchema();
        while (reader.loadNextBatch()) {
          VectorSchemaRoot source = reader.getVectorSchemaRoot();
          VectorSchemaRoot copy = VectorSchemaRoot.create(schema, allocator);
          try (var batch = new VectorUnloader(source).getRecordBatch()) {
            new VectorLoader(copy).load(batch);
          }
          chunks.add(copy);
        }
      }
      long rows = chunks.stream().mapToLong(VectorSchemaRoot::getRowCount).sum();
      System.out.printf("%,d rows in %d chunks; %d warm-up + %d runs per cell, median thread CPU ms over all chunks%n%n",
          rows, chunks.size(), 1, runs);
      LfCompiler compiler = new LfCompiler(LfLimits.DEFAULT);
      for (String set : sets) {
        JsonNode doc = mapper.readTree(Files.readString(dir.resolve("lfs-" + set + ".json")));
        LabelSpace labels = LabelSpace.fromJson(doc.get("labels"));
        List<LfSpec> specs = new ArrayList<>();
        for (JsonNode n : doc.get("lfs")) {
          specs.add(LfSpec.parse(n, specs.size()));
        }
        List<ResidentText> kept = new ArrayList<>();
        for (VectorSchemaRoot c : chunks) {
          kept.add(new ResidentText(c, new HeapAllowance(Long.MAX_VALUE)));
        }
        System.out.printf("Set `%s` (%d LFs), %,d rows%n%n", set, specs.size(), rows);
        System.out.println("| LF | kind | queue path (copies) ms | resident first (copy + index) ms | resident ms | ns/row resident |");
        System.out.println("| --- | --- | ---: | ---: | ---: | ---: |");
        CompiledLfSet all = compiler.compile(specs, labels, schema);
        double[] whole = measure(all, chunks, kept, runs);
        System.out.printf("| **all %d** | | %.0f | %.0f | %.0f | %.0f |%n", specs.size(), whole[0], whole[1], whole[2],
            whole[2] * 1e6 / rows);
        for (LfSpec spec : specs) {
          if (only != null && !spec.name().equals(only)) {
            continue;
          }
          CompiledLfSet one = compiler.compile(List.of(LfSpec.parse(spec.json(), 0)), labels, schema);
          List<ResidentText> fresh = new ArrayList<>();
          for (VectorSchemaRoot c : chunks) {
            fresh.add(new ResidentText(c, new HeapAllowance(Long.MAX_VALUE)));
          }
          double[] m = measure(one, chunks, fresh, runs);
          System.out.printf("| %s | %s | %.0f | %.0f | %.0f | %.0f |%n", spec.name(), spec.kind(), m[0], m[1], m[2],
              m[2] * 1e6 / rows);
          fresh.forEach(ResidentText::close);
        }
        kept.forEach(ResidentText::close);
        System.out.println();
      }
      chunks.forEach(VectorSchemaRoot::close);
    }
  }

  /** {queue median, resident first, resident median} in ms; checks the three computed the same labels. */
  static double[] measure(CompiledLfSet set, List<VectorSchemaRoot> chunks, List<ResidentText> kept, int runs) {
    long[] sum = new long[1];
    // The copies and indexes a resident copy's background builder makes after load, here on this thread.
    long start = CPU.getCurrentThreadCpuTime();
    for (ResidentText text : kept) {
      while (text.buildNext(() -> { })) {
        // one text column per call
      }
    }
    double first = (CPU.getCurrentThreadCpuTime() - start) / 1e6 + run(set, chunks, kept, sum);
    long residentSum = sum[0];
    run(set, chunks, null, sum); // warm-up of the copy path
    double[] queue = new double[runs];
    double[] resident = new double[runs];
    for (int r = 0; r < runs; r++) {
      queue[r] = run(set, chunks, null, sum);
      if (sum[0] != residentSum) {
        throw new IllegalStateException("queue and resident paths disagree");
      }
      resident[r] = run(set, chunks, kept, sum);
    }
    return new double[] {median(queue), first, median(resident)};
  }

  static double run(CompiledLfSet set, List<VectorSchemaRoot> chunks, List<ResidentText> kept, long[] checksum) {
    long start = CPU.getCurrentThreadCpuTime();
    long sum = 0;
    for (int i = 0; i < chunks.size(); i++) {
      byte[][] labels = set.evaluate(chunks.get(i), null, kept == null ? null : kept.get(i));
      for (byte[] column : labels) {
        sum = sum * 31 + Arrays.hashCode(column);
      }
    }
    checksum[0] = sum;
    return (CPU.getCurrentThreadCpuTime() - start) / 1e6;
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
