package dev.labelflight.engine.store;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.memory.BufferAllocator;

/** Where a chunk's data comes from when it must be read: the local store, or a copy fetched from its owner. */
@FunctionalInterface
public interface ChunkSource {
  /** Reads chunk {@code index} of {@code manifest} into a new root the caller closes. Blocking. */
  VectorSchemaRoot read(Manifest manifest, int index, BufferAllocator allocator);
}
