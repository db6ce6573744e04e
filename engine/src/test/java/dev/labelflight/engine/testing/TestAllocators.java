package dev.labelflight.engine.testing;

import org.apache.arrow.memory.RootAllocator;

/** Test allocators: closing one with memory still allocated throws, so a leak fails its test. */
public final class TestAllocators {
  private TestAllocators() {}

  public static RootAllocator root() {
    return new RootAllocator(1L << 30);
  }
}
