package dev.labelflight.pyworkers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory of a process as Linux reports it under {@code /proc/PID}; 0 when the process is gone. */
final class ProcMemory {
  private static final long PAGE = 4096;

  private ProcMemory() {}

  /** Resident bytes (cheap: {@code statm}), shared copy-on-write pages included. */
  static long rssBytes(long pid) {
    try {
      String[] f = Files.readString(Path.of("/proc", Long.toString(pid), "statm")).trim().split(" ");
      return Long.parseLong(f[1]) * PAGE;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** Bytes only this process maps (private clean + dirty): what it costs beyond what it shares. */
  static long privateBytes(long pid) {
    return rollup(pid, "Private_Clean:") + rollup(pid, "Private_Dirty:");
  }

  private static long rollup(long pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    return 0;
  }
}
