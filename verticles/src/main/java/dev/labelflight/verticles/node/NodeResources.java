package dev.labelflight.verticles.node;

import dev.labelflight.cluster.ClusterDirectory;
import dev.labelflight.cluster.LocalDirectory;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.cache.LabelCache;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.model.ModelRegistry;
import dev.labelflight.engine.memory.MemoryBudget;
import dev.labelflight.engine.store.DatasetStore;
import java.nio.file.Path;
import java.util.Set;
import dev.labelflight.engine.lf.HeapAllowance;
import org.apache.arrow.memory.BufferAllocator;

/**
 * What one node's verticles share: its stores, its memory budget, the allocator that all data-sized
 * Arrow memory comes from, the chunk labeler, the execution settings, the ONNX models of model LFs and
 * the set of cancelled jobs (written by the coordinator, read by workers between chunks), the cluster
 * directory and other nodes' datasets. Created by the server.
 */
public record NodeResources(
    String nodeId,
    Path dataDir,
    DatasetStore datasets,
    LabelStore labels,
    MemoryBudget budget,
    BufferAllocator allocator,
    LfLimits limits,
    ExecutionSettings execution,
    ChunkLabeler labeler,
    Set<String> cancelledJobs,
    ModelRegistry models,
    ClusterDirectory directory,
    RemoteDatasets remote) {

  /**
   * Job execution settings: task timeout; a factor applied to chunk memory estimates (calibration);
   * how long an idle resident dataset stays; whether the router may make datasets resident; threads
   * a resident dataset evaluates with; the heap its copies may keep text columns and skip indexes in.
   */
  public record ExecutionSettings(long taskTimeoutMs, double estimateScale, long residentIdleMs,
      boolean residentEnabled, int residentThreads, HeapAllowance residentHeap) {}

  /**
   * A standalone node's resources with the label cache under {@code dataDir}, no heap cache layer and
   * default execution settings (resident datasets enabled, one thread per core); for tests and embedding.
   */
  public static NodeResources standalone(String nodeId, Path dataDir, DatasetStore datasets, MemoryBudget budget,
      BufferAllocator allocator, LfLimits limits, long taskTimeoutMs) {
    LabelCache cache = new LabelCache(dataDir);
    ModelRegistry models = new ModelRegistry(dataDir.resolve("models"));
    int cores = Runtime.getRuntime().availableProcessors();
    return new NodeResources(nodeId, dataDir, datasets, new LabelStore(dataDir, datasets, cache), budget, allocator,
        limits, new ExecutionSettings(taskTimeoutMs, 1.0, 600_000L, true, cores,
            HeapAllowance.ofMaxHeap(0.4)),
        new ChunkLabeler(datasets, cache, new LfCompiler(limits, models)),
        java.util.concurrent.ConcurrentHashMap.newKeySet(), models, new LocalDirectory(nodeId), RemoteDatasets.NONE);
  }

  public long taskTimeoutMs() {
    return execution.taskTimeoutMs();
  }

  public LfCompiler compiler() {
    return new LfCompiler(limits, models);
  }
}
