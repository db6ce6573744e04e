package dev.labelflight.pyworkers;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The {@code python} section of the server configuration. Python LFs are off unless {@code enabled} and the
 * dataset's owner is in {@code users} ({@code "*"}: every user; datasets of a server without authentication
 * belong to {@value #ANONYMOUS}).
 *
 * @param python the venv's interpreter ({@code <venv>/bin/python}, made by {@code python-workers/setup-python-env.sh})
 * @param dataDir the node's data directory (workers may read its datasets of their user only)
 * @param maxWorkers worker processes on the node at most (all users and LF sets together)
 * @param tasksPerWorker chunks a worker serves before it is replaced
 * @param workerLimitBytes growth of a worker's resident memory during a chunk beyond which it is killed
 * @param workerStartBytes a new worker's reservation until its first chunk is measured
 * @param recycleBytes private memory after which a worker is replaced between chunks
 * @param taskTimeoutMs a chunk's time limit in one worker (also the limit to load an LF set)
 * @param idleMs idle workers and templates end after this
 */
public record PythonWorkersConfig(boolean enabled, Set<String> users, Path python, Path dataDir, int maxWorkers,
    int tasksPerWorker, long workerLimitBytes, long workerStartBytes, long recycleBytes, long taskTimeoutMs,
    long idleMs, int cpuSeconds, int maxOpenFiles, int maxProcesses) {

  public static final String ANONYMOUS = "anonymous";
  private static final long MIB = 1 << 20;

  /** Whether {@code user} (null: a dataset without owner) may run Python LFs. */
  public boolean allows(String user) {
    return enabled && (users.contains("*") || users.contains(user == null ? ANONYMOUS : user));
  }

  /** Reads the {@code python} object of the configuration (missing keys take their defaults). */
  public static PythonWorkersConfig fromJson(JsonNode python, Path dataDir) {
    JsonNode p = python == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : python;
    Set<String> users = new LinkedHashSet<>();
    JsonNode u = p.path("users");
    if (u.isArray()) {
      u.forEach(n -> users.add(n.asText()));
    } else if (u.isTextual() && !u.asText().isBlank()) {
      for (String s : u.asText().split(",")) {
        users.add(s.trim());
      }
    }
    String venv = p.path("venv").asText("");
    if (venv.isBlank()) {
      String cache = System.getenv("XDG_CACHE_HOME");
      venv = (cache != null && !cache.isBlank() ? cache : System.getProperty("user.home") + "/.cache")
          + "/labelflight/python-workers-venv";
    }
    int cores = Runtime.getRuntime().availableProcessors();
    int max = p.path("maxWorkers").asInt(0);
    return new PythonWorkersConfig(p.path("enabled").asBoolean(false), Set.copyOf(users),
        Path.of(venv, "bin", "python"), dataDir, max > 0 ? max : cores,
        Math.max(1, p.path("tasksPerWorker").asInt(200)), p.path("workerLimitMiB").asLong(1024) * MIB,
        p.path("workerStartMiB").asLong(96) * MIB, p.path("recycleMiB").asLong(512) * MIB,
        p.path("taskTimeoutMs").asLong(120_000), p.path("idleMs").asLong(60_000), p.path("cpuSeconds").asInt(3600),
        p.path("maxOpenFiles").asInt(256), p.path("maxProcesses").asInt(0));
  }

  /** This configuration with another worker limit (tests). */
  public PythonWorkersConfig withLimits(long workerLimitBytes, long taskTimeoutMs) {
    return new PythonWorkersConfig(enabled, users, python, dataDir, maxWorkers, tasksPerWorker, workerLimitBytes,
        workerStartBytes, recycleBytes, taskTimeoutMs, idleMs, cpuSeconds, maxOpenFiles, maxProcesses);
  }
}
