package dev.labelflight.perf;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * A companion to the JMH run for a shared machine: labels the dataset repeatedly on one thread and divides
 * LF-rows by the thread's CPU time rather than by wall-clock time, so that other processes competing for
 * the cores do not count against the engine. Settings: {@code rows}, {@code warmups}, {@code iterations}.
 * The set {@code peer_naive_keyword10} is the peer of {@code keyword_fused10}: the same ten keyword LFs
 * done the plain Java way, each row decoded to a String and each keyword looked up with
 * {@code String.contains} on the lower-cased text (whole-word and case-sensitive options ignored).
 */
public final class CpuTimeBenchmarks {
  static final String PEER = "peer_naive_keyword10";

  private CpuTimeBenchmarks() {}

  public static void main(String[] args) throws Exception {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    int warmups = Integer.getInteger("warmups", 5);
    int iterations = Integer.getInteger("iterations", 7);
    System.out.println("| LF set | LFs | median M LF-rows per CPU-second | min - max | wall M LF-rows/s (median) |");
    System.out.println("| --- | ---: | ---: | ---: | ---: |");
    for (String set : args) {
      boolean peer = set.equals(PEER);
      LfEvaluationBenchmark bench = new LfEvaluationBenchmark();
      bench.set = peer ? "keyword_fused10" : set;
      bench.rows = Integer.getInteger("rows", 1_000_000);
      bench.setUp();
      try {
        var specs = LfEvaluationBenchmark.JSON.readTree(LfEvaluationBenchmark.lfs(bench.set));
        int lfs = specs.size();
        List<List<String>> keywords = new ArrayList<>();
        specs.forEach(lf -> keywords.add(new ArrayList<>()));
        for (int i = 0; i < lfs && peer; i++) {
          for (var k : specs.get(i).get("keywords")) {
            keywords.get(i).add(k.asText().toLowerCase(java.util.Locale.ROOT));
          }
        }
        double lfRows = (double) bench.rows * lfs;
        List<Double> cpu = new ArrayList<>();
        List<Double> wall = new ArrayList<>();
        for (int i = 0; i < warmups + iterations; i++) {
          long c0 = threads.getCurrentThreadCpuTime();
          long w0 = System.nanoTime();
          if (peer) {
            bench.naiveKeywords(keywords);
          } else {
            bench.labelDatasetOnce();
          }
          long c1 = threads.getCurrentThreadCpuTime();
          long w1 = System.nanoTime();
          if (i >= warmups) {
            cpu.add(lfRows / ((c1 - c0) / 1e9) / 1e6);
            wall.add(lfRows / ((w1 - w0) / 1e9) / 1e6);
          }
        }
        cpu.sort(Double::compare);
        wall.sort(Double::compare);
        System.out.printf("| %s | %d | %.1f | %.1f - %.1f | %.1f |%n", set, lfs, cpu.get(cpu.size() / 2), cpu.get(0),
            cpu.get(cpu.size() - 1), wall.get(wall.size() / 2));
      } finally {
        bench.tearDown();
      }
    }
  }
}
