package dev.labelflight.engine.sizing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * What the process may really use, read from its cgroup (v2 unified or v1 memory/cpu controllers)
 * when present: the memory limit in bytes and the CPU quota in cores. Absent or unlimited values are
 * empty. The cgroup root is a parameter so tests can point it at fixture files.
 */
public record BoxLimits(String source, OptionalLong memoryBytes, OptionalDouble cpus) {

  /** Above this a "limit" means no limit (cgroup v1 writes a huge page-aligned number). */
  private static final long UNLIMITED = 1L << 60;

  /** Reads the limits of the current process from {@code /sys/fs/cgroup}. */
  public static BoxLimits detect() {
    return read(Path.of("/sys/fs/cgroup"), Path.of("/proc/self/cgroup"));
  }

  /**
   * Reads limits under a cgroup root. {@code selfCgroup} is the process's {@code /proc/self/cgroup}, used
   * to find its own group below the root when the root is not already the process's own (no cgroup
   * namespace); the group and its ancestors are checked and the tightest limit wins.
   */
  public static BoxLimits read(Path root, Path selfCgroup) {
    if (Files.isRegularFile(root.resolve("cgroup.controllers"))) {
      List<Path> groups = groups(root, selfCgroup, "");
      OptionalLong memory = OptionalLong.empty();
      OptionalDouble cpus = OptionalDouble.empty();
      for (Path g : groups) {
        memory = min(memory, number(g.resolve("memory.max")));
        cpus = min(cpus, v2Cpus(g.resolve("cpu.max")));
      }
      return new BoxLimits("cgroup v2", memory, cpus);
    }
    Path memoryRoot = root.resolve("memory");
    Path cpuRoot = Files.isDirectory(root.resolve("cpu,cpuacct")) ? root.resolve("cpu,cpuacct") : root.resolve("cpu");
    if (Files.isRegularFile(memoryRoot.resolve("memory.limit_in_bytes"))
        || Files.isRegularFile(cpuRoot.resolve("cpu.cfs_quota_us"))) {
      OptionalLong memory = OptionalLong.empty();
      for (Path g : groups(memoryRoot, selfCgroup, "memory")) {
        memory = min(memory, number(g.resolve("memory.limit_in_bytes")));
      }
      OptionalDouble cpus = OptionalDouble.empty();
      for (Path g : groups(cpuRoot, selfCgroup, "cpu")) {
        cpus = min(cpus, v1Cpus(g.resolve("cpu.cfs_quota_us"), g.resolve("cpu.cfs_period_us")));
      }
      return new BoxLimits("cgroup v1", memory, cpus);
    }
    return new BoxLimits("none", OptionalLong.empty(), OptionalDouble.empty());
  }

  /** The root itself plus the process's own group and its ancestors below it, if they exist there. */
  private static List<Path> groups(Path root, Path selfCgroup, String controller) {
    List<Path> out = new java.util.ArrayList<>();
    out.add(root);
    String own = ownGroup(selfCgroup, controller);
    if (own != null && !own.equals("/")) {
      Path p = root;
      for (String part : own.split("/")) {
        if (part.isEmpty()) {
          continue;
        }
        p = p.resolve(part);
        if (Files.isDirectory(p)) {
          out.add(p);
        }
      }
    }
    return out;
  }

  /** The process's group path for a v1 controller, or the unified (v2) path when controller is empty. */
  private static String ownGroup(Path selfCgroup, String controller) {
    try {
      for (String line : Files.readAllLines(selfCgroup)) {
        String[] f = line.split(":", 3);
        if (f.length != 3) {
          continue;
        }
        if (controller.isEmpty() ? f[0].equals("0") && f[1].isEmpty()
            : List.of(f[1].split(",")).contains(controller)) {
          return f[2];
        }
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return null;
  }

  private static OptionalLong number(Path file) {
    String text = read(file);
    if (text == null || text.equals("max")) {
      return OptionalLong.empty();
    }
    try {
      long v = Long.parseLong(text);
      return v <= 0 || v >= UNLIMITED ? OptionalLong.empty() : OptionalLong.of(v);
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  private static OptionalDouble v2Cpus(Path cpuMax) {
    String text = read(cpuMax);
    if (text == null) {
      return OptionalDouble.empty();
    }
    String[] f = text.split("\\s+");
    if (f[0].equals("max") || f.length < 2) {
      return OptionalDouble.empty();
    }
    try {
      double quota = Double.parseDouble(f[0]);
      double period = Double.parseDouble(f[1]);
      return quota > 0 && period > 0 ? OptionalDouble.of(quota / period) : OptionalDouble.empty();
    } catch (NumberFormatException e) {
      return OptionalDouble.empty();
    }
  }

  private static OptionalDouble v1Cpus(Path quotaFile, Path periodFile) {
    OptionalLong quota = number(quotaFile);
    OptionalLong period = number(periodFile);
    if (quota.isEmpty() || period.isEmpty()) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of((double) quota.getAsLong() / period.getAsLong());
  }

  private static String read(Path file) {
    try {
      return Files.isRegularFile(file) ? Files.readString(file).trim() : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static OptionalLong min(OptionalLong a, OptionalLong b) {
    if (a.isEmpty()) {
      return b;
    }
    return b.isEmpty() ? a : OptionalLong.of(Math.min(a.getAsLong(), b.getAsLong()));
  }

  private static OptionalDouble min(OptionalDouble a, OptionalDouble b) {
    if (a.isEmpty()) {
      return b;
    }
    return b.isEmpty() ? a : OptionalDouble.of(Math.min(a.getAsDouble(), b.getAsDouble()));
  }
}
