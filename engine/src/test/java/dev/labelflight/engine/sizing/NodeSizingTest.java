package dev.labelflight.engine.sizing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class NodeSizingTest {
  static final long MIB = 1L << 20;
  static final BoxLimits NO_CGROUP = new BoxLimits("none", OptionalLong.empty(), OptionalDouble.empty());

  /** Verifies that a configured budget that fits under the direct-memory limit (minus the transport reserve) is kept. */
  @Test
  void configuredBudgetWithinTheDirectLimitIsKept() {
    NodeSizing s = NodeSizing.derive(512, 0, NO_CGROUP, 16_384 * MIB, 1024 * MIB, 576 * MIB, 4);
    assertEquals(512 * MIB, s.budgetBytes());
    assertFalse(s.derivation().containsKey("budgetClamped"), s.derivation().toString());
    assertEquals(512 * MIB + NodeSizing.TRANSPORT_RESERVE / 2, s.arrowLimitBytes());
  }

  /**
   * Verifies that a configured budget above the JVM's direct-memory limit minus the transport reserve is clamped to
   * it, and the derivation says so with the flag that would give the full budget.
   */
  @Test
  void configuredBudgetAboveTheDirectLimitIsClamped() {
    NodeSizing s = NodeSizing.derive(1024, 0, NO_CGROUP, 16_384 * MIB, 2048 * MIB, 512 * MIB, 4);
    assertEquals(448 * MIB, s.budgetBytes());
    String why = String.valueOf(s.derivation().get("budgetClamped"));
    assertTrue(why.contains("1024 MiB") && why.contains("512 MiB") && why.contains("-XX:MaxDirectMemorySize=1088m"), why);
  }

  /** Verifies that a derived budget takes what the box leaves and never more than direct memory minus the reserve. */
  @Test
  void derivedBudgetIsCappedByDirectMemory() {
    BoxLimits twoGib = new BoxLimits("cgroup v2", OptionalLong.of(2048 * MIB), OptionalDouble.of(2));
    NodeSizing fromBox = NodeSizing.derive(0, 0, twoGib, 64_000 * MIB, 512 * MIB, 2048 * MIB, 8);
    long margin = 2048 * MIB / 10;
    assertEquals(2048 * MIB - 512 * MIB - margin, fromBox.budgetBytes());
    assertEquals(2, fromBox.workers());
    NodeSizing byDirect = NodeSizing.derive(0, 0, twoGib, 64_000 * MIB, 512 * MIB, 256 * MIB, 8);
    assertEquals(192 * MIB, byDirect.budgetBytes());
  }

  /** Verifies that a direct-memory limit too small for the smallest budget plus the reserve refuses to start, naming the flag. */
  @Test
  void tooSmallDirectLimitIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NodeSizing.derive(0, 0, NO_CGROUP, 16_384 * MIB, 256 * MIB, 64 * MIB, 2));
    assertTrue(e.getMessage().contains("64 MiB") && e.getMessage().contains("-XX:MaxDirectMemorySize=96m"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> NodeSizing.derive(128, 0, NO_CGROUP, 16_384 * MIB, 256 * MIB,
        64 * MIB, 2));
  }
}
