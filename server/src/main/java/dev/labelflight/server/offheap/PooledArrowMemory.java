package dev.labelflight.server.offheap;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.internal.PlatformDependent;
import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.ReferenceManager;

/**
 * Where a node's Arrow buffers live: a pool of its own (a Netty {@link PooledByteBufAllocator}) whose chunks are
 * 32 MiB, so that every block the pool asks the C allocator for is at least glibc's largest mmap threshold and is
 * therefore always its own mapping, unmapped (given back to the OS) when the pool frees it.
 *
 * <p>Why: with Arrow's default manager, buffers above Netty's 4 MiB chunk (a resident chunk body, an upload chunk
 * being assembled, a label segment) are malloc'd and freed one by one. glibc raises its mmap threshold to the size of
 * the first such block it frees (up to 32 MiB), after which blocks of that size come from its per-thread arenas,
 * which keep freed memory: RSS grew by 70-150 MiB per upload/resident/drop cycle with Arrow's allocator back at zero
 * (issue 16.2). Here buffers up to 32 MiB are carved from pooled chunks that are reused; a chunk that empties is
 * unmapped (Netty destroys chunks that fall below 1% use, except those that never reached 25%, which it keeps for
 * reuse); buffers above 32 MiB are one mapping each. Every chunk is a JDK direct buffer, so the whole pool, used or
 * kept, counts against the JVM's direct-memory limit ({@code -XX:MaxDirectMemorySize}).
 *
 * <p>No per-thread caches (they would keep memory per thread, unbounded by anything we own), few arenas (each may
 * keep a partly used chunk). Thread-safe; one per process is enough.
 */
public final class PooledArrowMemory implements AllocationManager.Factory {
  /** 8 KiB pages, 2^12 of them: 32 MiB chunks, glibc's {@code DEFAULT_MMAP_THRESHOLD_MAX} on 64-bit. */
  static final int PAGE_SIZE = 8192;
  static final int MAX_ORDER = 12;
  public static final int CHUNK_BYTES = PAGE_SIZE << MAX_ORDER;

  private final PooledByteBufAllocator pool;

  /** A pool with {@code arenas} arenas (each thread uses the least used one). */
  public PooledArrowMemory(int arenas) {
    if (arenas < 1) {
      throw new IllegalArgumentException("arenas must be >= 1, not " + arenas);
    }
    pool = new PooledByteBufAllocator(true, 0, arenas, PAGE_SIZE, MAX_ORDER, 0, 0, false, 0);
  }

  /**
   * The process's pool (every node of this JVM shares it): one arena per two cores, at most 4, enough to keep lock
   * waits rare and few enough that little is kept idle.
   */
  public static PooledArrowMemory shared() {
    return Shared.INSTANCE;
  }

  private static final class Shared {
    static final PooledArrowMemory INSTANCE =
        new PooledArrowMemory(Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2)));
  }

  /** A root allocator over this pool that holds at most {@code limitBytes}. */
  public org.apache.arrow.memory.RootAllocator rootAllocator(long limitBytes) {
    return new org.apache.arrow.memory.RootAllocator(org.apache.arrow.memory.RootAllocator.configBuilder()
        .allocationManagerFactory(this).maxAllocation(limitBytes).build());
  }

  @Override
  public AllocationManager create(BufferAllocator accountingAllocator, long size) {
    if (size > Integer.MAX_VALUE - CHUNK_BYTES) {
      // Beyond what a Netty buffer can address: a mapping of its own, as Arrow's own manager does.
      return new Unpooled2g(accountingAllocator, size);
    }
    ByteBuf buffer;
    try {
      buffer = pool.directBuffer((int) size, (int) size);
    } catch (OutOfMemoryError e) {
      // The JVM's direct-memory limit: fail this allocation, as an Arrow allocator over its limit does.
      throw new OutOfMemoryException("no direct memory left for a buffer of " + size + " bytes (the JVM's "
          + "direct-memory limit, -XX:MaxDirectMemorySize, is reached): " + e.getMessage(), e);
    }
    return new Pooled(accountingAllocator, buffer);
  }

  @Override
  public ArrowBuf empty() {
    return EMPTY;
  }

  private static final ArrowBuf EMPTY =
      new ArrowBuf(ReferenceManager.NO_OP, null, 0, Unpooled.EMPTY_BUFFER.memoryAddress());

  /** Bytes the pool holds from the OS now: chunks (used or kept for reuse) and buffers above the chunk size. */
  public long heldBytes() {
    return pool.metric().usedDirectMemory();
  }

  /** One Arrow allocation: a pooled buffer, given back to the pool when Arrow releases it. */
  private static final class Pooled extends AllocationManager {
    private final ByteBuf buffer;
    private final long address;
    private final long size;

    Pooled(BufferAllocator accountingAllocator, ByteBuf buffer) {
      super(accountingAllocator);
      this.buffer = buffer;
      this.address = buffer.memoryAddress();
      this.size = buffer.capacity();
    }

    @Override
    public long getSize() {
      return size;
    }

    @Override
    protected long memoryAddress() {
      return address;
    }

    @Override
    protected void release0() {
      buffer.release();
    }
  }

  /** A buffer over 2 GiB: malloc'd (so mmap'd by glibc, being far above its threshold) and freed on release. */
  private static final class Unpooled2g extends AllocationManager {
    private final long address;
    private final long size;

    Unpooled2g(BufferAllocator accountingAllocator, long size) {
      super(accountingAllocator);
      this.address = PlatformDependent.allocateMemory(size);
      this.size = size;
    }

    @Override
    public long getSize() {
      return size;
    }

    @Override
    protected long memoryAddress() {
      return address;
    }

    @Override
    protected void release0() {
      PlatformDependent.freeMemory(address);
    }
  }
}
