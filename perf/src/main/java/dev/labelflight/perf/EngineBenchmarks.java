package dev.labelflight.perf;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link LfEvaluationBenchmark} for the given LF sets and prints a Markdown table of LF-row
 * evaluations per second (median and range over all measured iterations of all forks). Settings as system
 * properties: {@code forks}, {@code warmups}, {@code iterations}, {@code seconds}, {@code rows},
 * {@code unsafe} (adds -Darrow.enable_unsafe_memory_access=true to the forks).
 */
public final class EngineBenchmarks {
  private EngineBenchmarks() {}

  public static void main(String[] args) throws Exception {
    String[] sets = args.length > 0 ? args : new String[0];
    List<String> jvm = new ArrayList<>(List.of("--add-opens=java.base/java.nio=ALL-UNNAMED", "-Xms2g", "-Xmx2g",
        "-XX:MaxDirectMemorySize=2g", "-Dlabelflight.models=" + System.getProperty("labelflight.models",
            "engine/src/test/resources/models")));
    boolean unsafe = Boolean.getBoolean("unsafe");
    if (unsafe) {
      jvm.add("-Darrow.enable_unsafe_memory_access=true");
    }
    ChainedOptionsBuilder options = new OptionsBuilder()
        .include(LfEvaluationBenchmark.class.getSimpleName())
        .forks(Integer.getInteger("forks", 2))
        .warmupIterations(Integer.getInteger("warmups", 3))
        .measurementIterations(Integer.getInteger("iterations", 5))
        .warmupTime(TimeValue.seconds(Integer.getInteger("seconds", 2)))
        .measurementTime(TimeValue.seconds(Integer.getInteger("seconds", 2)))
        .threads(1)
        .jvmArgsAppend(jvm.toArray(String[]::new))
        .param("rows", String.valueOf(Integer.getInteger("rows", 1_000_000)));
    if (sets.length > 0) {
      options.param("set", sets);
    }
    Collection<RunResult> results = new Runner(options.build()).run();
    int rows = Integer.getInteger("rows", 1_000_000);
    System.out.println();
    System.out.println("| LF set | LFs | median M LF-rows/s/core | min - max | median datasets/s |"
        + (unsafe ? " (unsafe memory access)" : ""));
    System.out.println("| --- | ---: | ---: | ---: | ---: |");
    for (RunResult run : results) {
      String set = run.getParams().getParam("set");
      int lfs = LfEvaluationBenchmark.JSON.readTree(LfEvaluationBenchmark.lfs(set)).size();
      List<Double> scores = new ArrayList<>();
      for (BenchmarkResult fork : run.getBenchmarkResults()) {
        for (IterationResult iteration : fork.getIterationResults()) {
          scores.add(iteration.getPrimaryResult().getScore());
        }
      }
      scores.sort(Double::compare);
      double median = scores.size() % 2 == 1 ? scores.get(scores.size() / 2)
          : (scores.get(scores.size() / 2 - 1) + scores.get(scores.size() / 2)) / 2;
      double perDataset = (double) rows * lfs / 1e6;
      System.out.printf("| %s | %d | %.1f | %.1f - %.1f | %.2f |%n", set, lfs, median * perDataset,
          scores.get(0) * perDataset, scores.get(scores.size() - 1) * perDataset, median);
    }
  }
}
