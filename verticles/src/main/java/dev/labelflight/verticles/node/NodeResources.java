package dev.labelflight.verticles.node;

import dev.labelflight.cluster.ClusterDirectory;
import dev.labelflight.cluster.LocalDirectory;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.cache.LabelCache;
import dev.labelflight.engine.lf.HeapAllowance;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.model.ModelRegistry;
import dev.labelflight.engine.memory.MemoryPool;
import dev.labelflight.engine.store.DatasetStore;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.arrow.memory.BufferAllocator;

/**
 * What one node's verticles share: its stores, its memory pool (reached only through reservations), the
 * allocator that all data-sized Arrow memory comes from, the chunk labeler, the execution settings, the
 * ONNX models of model LFs, the cancel tokens of the jobs whose work runs here ({@link JobTokens}), the
 * cluster directory and other nodes' datasets. Created by the server.
 */
public record NodeResources(
    String nodeId,
    Path dataDir,
    DatasetStore datasets,
    LabelStore labels,
    MemoryPool memoryPool,
    BufferAllocator allocator,
    LfLimits limits,
    ExecutionSettings execution,
    ChunkLabeler labeler,
    JobTokens jobTokens,
    ModelRegistry models,
    ClusterDirectory directory,
    RemoteDatasets remote) {

  /**
   * Job execution settings: task timeout; a factor applied to chunk memory estimates (calibration);
   * how long an idle resident dataset stays; whether the router may make datasets resident; threads
   * a resident dataset evaluates with; the heap its copies may keep text columns and skip indexes in;
   * how long a chunk task (or a browse or label-model request) waits for its memory before it hands its
   * task back or fails ({@code memory.waitMs}); how long a resident copy or a resident job's label arrays
   * wait to be admitted before the job falls back to the queue or fails ({@code resident.admissionWaitMs}).
   */
  public record ExecutionSettings(long taskTimeoutMs, double estimateScale, long residentIdleMs,
      boolean residentEnabled, int residentThreads, HeapAllowance residentHeap, long memoryWaitMs,
      long residentAdmissionWaitMs) {

    /** Defaults for the two waits: {@value #DEFAULT_MEMORY_WAIT_MS} ms and {@value #DEFAULT_ADMISSION_WAIT_MS} ms. */
    public static final long DEFAULT_MEMORY_WAIT_MS = 10_000;
    public static final long DEFAULT_ADMISSION_WAIT_MS = 10_000;

    public Duration memoryWait() {
      return Duration.ofMillis(memoryWaitMs);
    }

    public Duration residentAdmissionWait() {
      return Duration.ofMillis(residentAdmissionWaitMs);
    }
  }

  /**
   * A standalone node's resources with the label cache under {@code dataDir}, no heap cache layer and
   * default execution settings (resident datasets enabled, one thread per core); for tests and embedding.
   */
  public static NodeResources standalone(String nodeId, Path dataDir, DatasetStore datasets, MemoryPool memoryPool,
      BufferAllocator allocator, LfLimits limits, long taskTimeoutMs) {
    LabelCache cache = new LabelCache(dataDir);
    ModelRegistry models = new ModelRegistry(dataDir.resolve("models"));
    int cores = Runtime.getRuntime().availableProcessors();
    return new NodeResources(nodeId, dataDir, datasets, new LabelStore(dataDir, datasets, cache), memoryPool,
        allocator, limits, new ExecutionSettings(taskTimeoutMs, 1.0, 600_000L, true, cores,
            HeapAllowance.ofMaxHeap(0.4), ExecutionSettings.DEFAULT_MEMORY_WAIT_MS,
            ExecutionSettings.DEFAULT_ADMISSION_WAIT_MS),
        new ChunkLabeler(datasets, cache, new LfCompiler(limits, models)),
        new JobTokens(), models, new LocalDirectory(nodeId), RemoteDatasets.NONE);
  }

  public long taskTimeoutMs() {
    return execution.taskTimeoutMs();
  }

  /** The node's LF compiler, the one its chunk labeler runs (with the node's model registry and Python pool). */
  public LfCompiler compiler() {
    return labeler.compiler();
  }
}
