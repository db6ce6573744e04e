package dev.labelflight.engine.sizing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BoxLimitsTest {
  @TempDir Path dir;

  private Path write(String relative, String content) throws Exception {
    Path p = dir.resolve(relative);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
    return p;
  }

  /** Verifies that a cgroup v2 layout yields the memory limit and CPU quota, the tightest along the path. */
  @Test
  void readsCgroupV2() throws Exception {
    write("cg/cgroup.controllers", "cpu memory");
    write("cg/memory.max", "max\n");
    write("cg/cpu.max", "max 100000\n");
    write("cg/kubepods/pod1/memory.max", "1073741824\n");
    write("cg/kubepods/pod1/cpu.max", "150000 100000\n");
    write("cg/kubepods/memory.max", "4294967296\n");
    Path self = write("self", "0::/kubepods/pod1\n");
    BoxLimits box = BoxLimits.read(dir.resolve("cg"), self);
    assertEquals("cgroup v2", box.source());
    assertEquals(OptionalLong.of(1L << 30), box.memoryBytes());
    assertEquals(1.5, box.cpus().getAsDouble(), 1e-9);
  }

  /** Verifies that an unlimited cgroup v2 gives no limits. */
  @Test
  void unlimitedCgroupV2() throws Exception {
    write("cg/cgroup.controllers", "cpu memory");
    write("cg/memory.max", "max\n");
    write("cg/cpu.max", "max 100000\n");
    BoxLimits box = BoxLimits.read(dir.resolve("cg"), dir.resolve("missing"));
    assertEquals(OptionalLong.empty(), box.memoryBytes());
    assertEquals(OptionalDouble.empty(), box.cpus());
  }

  /** Verifies that a cgroup v1 layout yields limits, and v1's huge "unlimited" number is ignored. */
  @Test
  void readsCgroupV1() throws Exception {
    write("cg/memory/memory.limit_in_bytes", "9223372036854771712\n");
    write("cg/memory/docker/abc/memory.limit_in_bytes", "536870912\n");
    write("cg/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
    write("cg/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    write("cg/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "50000\n");
    write("cg/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
    Path self = write("self", "12:memory:/docker/abc\n11:cpu,cpuacct:/docker/abc\n");
    BoxLimits box = BoxLimits.read(dir.resolve("cg"), self);
    assertEquals("cgroup v1", box.source());
    assertEquals(OptionalLong.of(512L << 20), box.memoryBytes());
    assertEquals(0.5, box.cpus().getAsDouble(), 1e-9);
  }

  /** Verifies that without any cgroup files there are no limits. */
  @Test
  void noCgroup() {
    BoxLimits box = BoxLimits.read(dir.resolve("nothing"), dir.resolve("nothing-either"));
    assertEquals("none", box.source());
    assertTrue(box.memoryBytes().isEmpty() && box.cpus().isEmpty());
  }

  /** Verifies the budget and worker derivation: box minus heap and margin, capped by direct memory; config wins. */
  @Test
  void derivesBudgetAndWorkers() {
    BoxLimits pod = new BoxLimits("cgroup v2", OptionalLong.of(1L << 30), OptionalDouble.of(1.0));
    NodeSizing s = NodeSizing.derive(0, 0, pod, 24L << 30, 256L << 20, 1L << 40, 2);
    // 1 GiB - 256 MiB heap - max(64 MiB, 102.4 MiB) margin
    assertEquals((1L << 30) - (256L << 20) - (1L << 30) / 10, s.budgetBytes());
    assertEquals(1, s.workers());
    assertTrue(s.derivation().get("budget").toString().contains("cgroup limit"));

    NodeSizing capped = NodeSizing.derive(0, 0, pod, 24L << 30, 256L << 20, 128L << 20, 2);
    assertEquals((128L << 20) - NodeSizing.TRANSPORT_RESERVE, capped.budgetBytes(),
        "direct memory minus the transport reserve caps the budget");

    NodeSizing machine = NodeSizing.derive(0, 0, new BoxLimits("none", OptionalLong.empty(), OptionalDouble.empty()),
        8L << 30, 2L << 30, 1L << 40, 2);
    assertEquals((8L << 30) - (2L << 30) - (8L << 30) / 10, machine.budgetBytes());
    assertEquals(2, machine.workers());

    NodeSizing tiny = NodeSizing.derive(0, 0, new BoxLimits("cgroup v2", OptionalLong.of(300L << 20), OptionalDouble.of(0.5)),
        8L << 30, 256L << 20, 1L << 40, 2);
    assertEquals(NodeSizing.MIN_BUDGET, tiny.budgetBytes(), "never below the minimum");
    assertEquals(1, tiny.workers());

    NodeSizing configured = NodeSizing.derive(300, 3, pod, 24L << 30, 256L << 20, 1L << 40, 2);
    assertEquals(300L << 20, configured.budgetBytes());
    assertEquals(3, configured.workers());
  }
}
