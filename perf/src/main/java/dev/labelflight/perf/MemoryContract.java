package dev.labelflight.perf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Peak RSS against the memory contract for the Java harnesses under {@code perf/} (the Python ones use
 * {@code perf/memory_contract.py}, which follows the same rules): a server's RSS stays at or below
 * {@code -Xmx + budget + 256 MiB}. A harness starts servers with {@link #serverOptions}, reads a server's peak RSS
 * (VmHWM) with {@link #measure} before stopping it, and prints {@link #summary}. Harnesses without a server (engine
 * benchmarks in their own JVM) use {@link #thisJvm}, where the JVM's direct-memory limit stands in for the budget.
 */
public final class MemoryContract {
  public static final long MIB = 1L << 20;
  /** The contract's allowance for the JVM itself: metaspace, code, GC structures, threads, the C allocator. */
  public static final long JVM_MARGIN = 256 * MIB;
  /** {@code NodeSizing.TRANSPORT_RESERVE}: direct memory kept outside the budget for transport buffers. */
  public static final long TRANSPORT_RESERVE = 64 * MIB;

  private final String name;
  private final long pid;
  private final long heapBytes;
  private final long budgetBytes;
  private final String budgetWhat;
  private long peakKib = -1;

  private MemoryContract(String name, long pid, long heapBytes, long budgetBytes, String budgetWhat) {
    this.name = name;
    this.pid = pid;
    this.heapBytes = heapBytes;
    this.budgetBytes = budgetBytes;
    this.budgetWhat = budgetWhat;
  }

  /** JVM options for a server with this heap and budget, as {@code bin/serve} starts one (direct limit = budget + 64 MiB). */
  public static List<String> serverOptions(long heapMib, long budgetMib) {
    return List.of("-Xmx" + heapMib + "m", "-XX:MaxDirectMemorySize=" + (budgetMib + TRANSPORT_RESERVE / MIB) + "m");
  }

  /**
   * A running server: its max heap and budget read from {@code /health} (open without a token), waiting up to two
   * minutes for HTTP to answer (it starts last).
   */
  public static MemoryContract server(String name, long pid, int httpPort) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + 120_000;
    while (true) {
      // Timeouts: a request that reaches HTTP at the instant it starts may never be answered (seen once, with
      // an NPE in Vert.x's Micrometer metrics); ask again instead of waiting forever.
      var connection = new URL("http://127.0.0.1:" + httpPort + "/health").openConnection();
      connection.setConnectTimeout(2_000);
      connection.setReadTimeout(5_000);
      try (InputStream in = connection.getInputStream()) {
        JsonNode health = new ObjectMapper().readTree(in);
        return new MemoryContract(name, pid, health.at("/sizing/derivation/maxHeapBytes").asLong(),
            health.at("/memory/budgetBytes").asLong(), "budget");
      } catch (IOException notYet) {
        if (System.currentTimeMillis() > deadline) {
          throw notYet;
        }
        Thread.sleep(200);
      }
    }
  }

  /** This JVM (an engine benchmark without a server): its heap and its direct-memory limit in place of a budget. */
  public static MemoryContract thisJvm(String name) {
    long direct = Runtime.getRuntime().maxMemory();
    try {
      var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      long set = Long.parseLong(bean.getVMOption("MaxDirectMemorySize").getValue());
      direct = set > 0 ? set : direct;
    } catch (RuntimeException e) {
      // not HotSpot: the JVM's default rule (direct limit = max heap)
    }
    return new MemoryContract(name, ProcessHandle.current().pid(), Runtime.getRuntime().maxMemory(), direct,
        "direct-memory limit");
  }

  /** Reads VmHWM now (call it right before the process stops); keeps the largest value seen. */
  public MemoryContract measure() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          peakKib = Math.max(peakKib, Long.parseLong(line.substring(6).replace("kB", "").trim()));
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process is gone: keep what was measured
    }
    return this;
  }

  public long contractBytes() {
    return heapBytes + budgetBytes + JVM_MARGIN;
  }

  public long peakBytes() {
    return peakKib < 0 ? -1 : peakKib << 10;
  }

  public boolean within() {
    return peakKib >= 0 && peakBytes() <= contractBytes();
  }

  /** One sentence for the harness's output and for {@code perf/RESULTS.md}. */
  public String summary() {
    if (peakKib < 0) {
      return name + ": peak RSS not measured";
    }
    return String.format("%s: peak RSS (VmHWM) %,d MiB, contract <= %,d MiB (-Xmx %,d + %s %,d + 256): %s", name,
        peakBytes() / MIB, contractBytes() / MIB, heapBytes / MIB, budgetWhat, budgetBytes / MIB,
        within() ? "within" : "OVER THE CONTRACT");
  }
}
