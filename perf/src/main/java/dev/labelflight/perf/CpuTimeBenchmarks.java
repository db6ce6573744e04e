package dev.labelflight.perf;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * A companion to the JMH run for a shared machine: labels the dataset repeatedly on one thread and divides
 * LF-rows by the thread's CPU time rather than by wall-clock time, so that other processes competing for
 * the cores do not count against the engine. Settings: {@code rows}, {@code warmups}, {@code iterations}.
 */
public final class CpuTimeBenchmarks {
  private CpuTimeBenchmarks() {}

  public static void main(String[] args) throws Exception {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    int warmups = Integer.getInteger("warmups", 5);
    int iterations = Integer.getInteger("iterations", 7);
    System.out.println("| LF set | LFs | median M LF-rows per CPU-second | min - max | wall M LF-rows/s (median) |");
    System.out.println("| --- | ---: | ---: | ---: | ---: |");
    for (String set : args) {
      LfEvaluationBenchmark bench = new LfEvaluationBenchmark();
      bench.set = set;
      bench.rows = Integer.getInteger("rows", 1_000_000);
      bench.setUp();
      try {
        int lfs = LfEvaluationBenchmark.JSON.readTree(LfEvaluationBenchmark.lfs(set)).size();
        double lfRows = (double) bench.rows * lfs;
        List<Double> cpu = new ArrayList<>();
        List<Double> wall = new ArrayList<>();
        for (int i = 0; i < warmups + iterations; i++) {
          long c0 = threads.getCurrentThreadCpuTime();
          long w0 = System.nanoTime();
          bench.labelDatasetOnce();
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
