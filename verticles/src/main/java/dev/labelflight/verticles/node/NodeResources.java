package dev.labelflight.verticles.node;

import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.model.ModelRegistry;
import dev.labelflight.engine.memory.MemoryBudget;
import dev.labelflight.engine.store.DatasetStore;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;

/**
 * What one node's verticles share: its stores, its memory budget, the allocator that all data-sized
 * Arrow memory comes from, the job settings and the ONNX models of model LFs. Created by the server, handed to verticles.
 */
public record NodeResources(
    String nodeId,
    Path dataDir,
    DatasetStore datasets,
    LabelStore labels,
    MemoryBudget budget,
    BufferAllocator allocator,
    LfLimits limits,
    long taskTimeoutMs,
    ModelRegistry models) {

  public LfCompiler compiler() {
    return new LfCompiler(limits, models);
  }

  public ChunkLabeler labeler() {
    return new ChunkLabeler(datasets, labels);
  }
}
