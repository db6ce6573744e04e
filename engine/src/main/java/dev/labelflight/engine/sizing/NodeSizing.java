package dev.labelflight.engine.sizing;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The node's memory budget and worker count, and how they were derived. An explicit configuration
 * always wins; otherwise the budget is what the box allows (cgroup limit, else physical memory) minus
 * the JVM heap and a safety margin, capped by the JVM's direct-memory limit (Arrow buffers live there),
 * and the worker count follows the CPU quota, else the available processors.
 */
public record NodeSizing(long budgetBytes, int workers, Map<String, Object> derivation) {
  /** Never plan a budget below this. */
  public static final long MIN_BUDGET = 32L << 20;

  /**
   * @param configuredBudgetMiB 0 = derive
   * @param configuredWorkers 0 = derive
   * @param physicalBytes machine memory, used when no cgroup limit exists
   * @param maxHeap the JVM's max heap ({@code Runtime.maxMemory()})
   * @param maxDirect the JVM's direct-memory limit
   * @param processors {@code Runtime.availableProcessors()}
   */
  public static NodeSizing derive(long configuredBudgetMiB, int configuredWorkers, BoxLimits box, long physicalBytes,
      long maxHeap, long maxDirect, int processors) {
    Map<String, Object> why = new LinkedHashMap<>();
    why.put("cgroup", box.source());
    box.memoryBytes().ifPresent(m -> why.put("cgroupMemoryBytes", m));
    box.cpus().ifPresent(c -> why.put("cgroupCpus", c));
    why.put("maxHeapBytes", maxHeap);
    why.put("maxDirectBytes", maxDirect);
    long budget;
    if (configuredBudgetMiB > 0) {
      budget = configuredBudgetMiB << 20;
      why.put("budget", "configured memory.budgetMiB");
    } else {
      long box0 = box.memoryBytes().orElse(physicalBytes);
      long margin = Math.max(64L << 20, box0 / 10);
      long fromBox = box0 - maxHeap - margin;
      budget = Math.max(MIN_BUDGET, Math.min(fromBox, maxDirect));
      why.put("budget", (box.memoryBytes().isPresent() ? "cgroup limit" : "physical memory")
          + " - max heap - margin " + (margin >> 20) + " MiB, capped by max direct memory");
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
}
