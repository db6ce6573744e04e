package dev.labelflight.engine.sizing;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The node's memory budget and worker count, and how they were derived. The budget is what the box allows
 * (cgroup limit, else physical memory) minus the JVM heap and a safety margin, or the configured value; either way
 * it never exceeds the JVM's direct-memory limit minus {@link #TRANSPORT_RESERVE} (Arrow buffers and every other
 * direct buffer live under that limit), so a configured budget above it is clamped, and a limit too small for
 * {@link #MIN_BUDGET} is refused. The worker count follows the configuration, else the CPU quota, else the
 * available processors.
 */
public record NodeSizing(long budgetBytes, int workers, Map<String, Object> derivation) {
  /** Never plan a budget below this. */
  public static final long MIN_BUDGET = 32L << 20;
  /**
   * Direct memory kept outside the budget for buffers no reservation covers: Flight/gRPC and HTTP transport
   * buffers, upload batches being received, the part of pooled chunks not in use.
   */
  public static final long TRANSPORT_RESERVE = 64L << 20;

  /**
   * @param configuredBudgetMiB 0 = derive
   * @param configuredWorkers 0 = derive
   * @param physicalBytes machine memory, used when no cgroup limit exists
   * @param maxHeap the JVM's max heap ({@code Runtime.maxMemory()})
   * @param maxDirect the JVM's direct-memory limit
   * @param processors {@code Runtime.availableProcessors()}
   * @throws IllegalArgumentException when the direct-memory limit leaves less than {@link #MIN_BUDGET}
   */
  public static NodeSizing derive(long configuredBudgetMiB, int configuredWorkers, BoxLimits box, long physicalBytes,
      long maxHeap, long maxDirect, int processors) {
    Map<String, Object> why = new LinkedHashMap<>();
    why.put("cgroup", box.source());
    box.memoryBytes().ifPresent(m -> why.put("cgroupMemoryBytes", m));
    box.cpus().ifPresent(c -> why.put("cgroupCpus", c));
    why.put("maxHeapBytes", maxHeap);
    why.put("maxDirectBytes", maxDirect);
    long directRoom = maxDirect - TRANSPORT_RESERVE;
    if (directRoom < MIN_BUDGET) {
      throw new IllegalArgumentException("the JVM's direct-memory limit of " + (maxDirect >> 20) + " MiB leaves less than "
          + "the smallest budget (" + (MIN_BUDGET >> 20) + " MiB) once " + (TRANSPORT_RESERVE >> 20) + " MiB are kept "
          + "for transport buffers: start the JVM with -XX:MaxDirectMemorySize=" + ((MIN_BUDGET + TRANSPORT_RESERVE) >> 20)
          + "m or more (budget + " + (TRANSPORT_RESERVE >> 20) + "m)");
    }
    long budget;
    if (configuredBudgetMiB > 0) {
      budget = configuredBudgetMiB << 20;
      why.put("budget", "configured memory.budgetMiB");
      if (budget > directRoom) {
        why.put("budgetClamped", "configured memory.budgetMiB " + configuredBudgetMiB + " MiB is more than the JVM's "
            + "direct-memory limit of " + (maxDirect >> 20) + " MiB minus " + (TRANSPORT_RESERVE >> 20) + " MiB for "
            + "transport buffers: the budget is " + (directRoom >> 20) + " MiB (start the JVM with "
            + "-XX:MaxDirectMemorySize=" + (configuredBudgetMiB + (TRANSPORT_RESERVE >> 20)) + "m for the full budget)");
        budget = directRoom;
      }
    } else {
      long box0 = box.memoryBytes().orElse(physicalBytes);
      long margin = Math.max(64L << 20, box0 / 10);
      long fromBox = box0 - maxHeap - margin;
      budget = Math.max(MIN_BUDGET, Math.min(fromBox, directRoom));
      why.put("budget", (box.memoryBytes().isPresent() ? "cgroup limit" : "physical memory")
          + " - max heap - margin " + (margin >> 20) + " MiB, capped by max direct memory - "
          + (TRANSPORT_RESERVE >> 20) + " MiB");
    }
    int workers;
    if (configuredWorkers > 0) {
      workers = configuredWorkers;
      why.put("workers", "configured workers.instances");
    } else if (box.cpus().isPresent()) {
      workers = Math.max(1, (int) Math.ceil(box.cpus().getAsDouble()));
      why.put("workers", "cgroup CPU quota");
    } else {
      workers = Math.max(1, processors);
      why.put("workers", "available processors");
    }
    return new NodeSizing(budget, workers, why);
  }

  /**
   * The most Arrow buffers may hold at once: the budget (every reservation is capped by it) plus half the transport
   * reserve for buffers no reservation covers (uploads being received, label streams); the other half is for
   * direct buffers outside Arrow.
   */
  public long arrowLimitBytes() {
    return budgetBytes + TRANSPORT_RESERVE / 2;
  }
}
