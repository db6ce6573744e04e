package dev.labelflight.server.offheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.junit.jupiter.api.Test;

class PooledArrowMemoryTest {
  /**
   * Verifies that buffers of every size class (small, within a chunk, above the 32 MiB chunk) hold their data and are
   * accounted by Arrow as asked, that a buffer above the chunk size goes back to the OS on release (the pool's held
   * bytes drop by its size), and that a chunk's space is reused rather than grown (the same allocations again hold
   * no more).
   */
  @Test
  void buffersComeFromReusedChunksAndLargeOnesGoBack() {
    PooledArrowMemory memory = new PooledArrowMemory(1);
    try (RootAllocator root = memory.rootAllocator(Long.MAX_VALUE)) {
      try (ArrowBuf small = root.buffer(100); ArrowBuf mid = root.buffer(5 << 20)) {
        small.setLong(0, 42);
        mid.setLong((5 << 20) - 8, 43);
        assertEquals(42, small.getLong(0));
        assertEquals(43, mid.getLong((5 << 20) - 8));
        assertEquals(PooledArrowMemory.CHUNK_BYTES, memory.heldBytes(), "both live in one 32 MiB chunk");
      }
      long afterFirst = memory.heldBytes();
      for (int round = 0; round < 5; round++) {
        try (ArrowBuf a = root.buffer(5 << 20); ArrowBuf b = root.buffer(7 << 20)) {
          a.setByte(0, 1);
          b.setByte(0, 1);
        }
      }
      assertTrue(memory.heldBytes() <= Math.max(afterFirst, PooledArrowMemory.CHUNK_BYTES),
          "repeated allocations reuse the chunk: " + memory.heldBytes());
      long before = memory.heldBytes();
      long huge = 40L << 20;
      try (ArrowBuf big = root.buffer(huge)) {
        big.setLong(huge - 8, 7);
        assertEquals(7, big.getLong(huge - 8));
        assertEquals(huge, root.getAllocatedMemory());
        assertEquals(before + huge, memory.heldBytes());
      }
      assertEquals(before, memory.heldBytes(), "a buffer above the chunk size is freed at once");
      assertEquals(0, root.getAllocatedMemory());
    }
  }

  /** Verifies that Arrow's vectors work over the pool and that the root's limit still bounds what it holds. */
  @Test
  void vectorsWorkAndTheRootLimitHolds() {
    try (RootAllocator root = new PooledArrowMemory(1).rootAllocator(8 << 20);
         BufferAllocator child = root.newChildAllocator("child", 0, Long.MAX_VALUE);
         IntVector v = new IntVector("v", child)) {
      v.allocateNew(1000);
      for (int i = 0; i < 1000; i++) {
        v.set(i, i * 3);
      }
      v.setValueCount(1000);
      assertEquals(2997, v.get(999));
      assertThrows(OutOfMemoryException.class, () -> child.buffer(16 << 20).close());
    }
  }
}
