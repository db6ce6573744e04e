package dev.labelflight.flight.stream;

import io.reactivex.rxjava3.core.Flowable;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/** A stream of stored chunks {@code from .. from + count - 1}, one batch each, read when the client can take it. */
public final class ChunksBody implements StreamBody<Integer> {
  /** Reads one chunk into a root of the given allocator (the caller closes it). */
  @FunctionalInterface
  public interface ChunkReader {
    VectorSchemaRoot read(int index, BufferAllocator allocator) throws Exception;
  }

  private final BufferAllocator allocator;
  private final VectorSchemaRoot root;
  private final int from;
  private final int count;
  private final ChunkReader reader;

  /** {@code name} names the stream's child allocator (of {@code parent}), which it closes last. */
  public ChunksBody(BufferAllocator parent, String name, Schema schema, int from, int count, ChunkReader reader) {
    this.allocator = parent.newChildAllocator(name, 0, Long.MAX_VALUE);
    try {
      this.root = VectorSchemaRoot.create(schema, allocator);
    } catch (RuntimeException e) {
      allocator.close();
      throw e;
    }
    this.from = from;
    this.count = count;
    this.reader = reader;
  }

  @Override
  public void start(StreamOut out) {
    out.start(root);
  }

  @Override
  public Flowable<Integer> units() {
    return Flowable.range(from, count);
  }

  @Override
  public Batches open(Integer index) throws Exception {
    return Batches.single(reader.read(index, allocator));
  }

  @Override
  public void close() {
    root.close();
    allocator.close();
  }
}
