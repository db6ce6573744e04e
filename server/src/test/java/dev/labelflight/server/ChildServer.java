package dev.labelflight.server;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A server in its own JVM started the way a user's own script would ({@code java OPTIONS ... Main}, no launcher
 * and no {@code MALLOC_*} variables, which are removed from its environment), with the JVM options a memory
 * test needs; reads its memory from {@code /proc/PID/status} and {@code /metrics}.
 */
final class ChildServer implements AutoCloseable {
  private static final Pattern METRIC = Pattern.compile("^([a-z_]+)(\\{[^}]*\\})?\\s+(\\S+)$", Pattern.MULTILINE);

  final Process process;
  final int port;
  final int httpPort;
  final Path log;

  /**
   * Starts {@code dev.labelflight.server.Main} with {@code jvmOptions} (heap, pre-touch, ...) and the standard test
   * environment (authentication with the tests' token, no demo, ephemeral ports) plus {@code env}.
   */
  ChildServer(Path dir, List<String> jvmOptions, Map<String, String> env) throws Exception {
    port = ServerProcess.freePort();
    httpPort = ServerProcess.freePort();
    log = dir.resolve("server.log");
    process = builder(dir, jvmOptions, env, port, httpPort, log).start();
    awaitHttp();
  }

  /** Starts a server that is expected not to start; returns its output once it exited (within 60 s). */
  static String startExpectingExit(Path dir, List<String> jvmOptions, Map<String, String> env) throws Exception {
    Path log = dir.resolve("server.log");
    Process process = builder(dir, jvmOptions, env, ServerProcess.freePort(), ServerProcess.freePort(), log).start();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        throw new AssertionError("the server still runs after 60 s:\n" + Files.readString(log));
      }
      return "exit " + process.exitValue() + "\n" + Files.readString(log);
    } finally {
      process.destroyForcibly();
    }
  }

  private static ProcessBuilder builder(Path dir, List<String> jvmOptions, Map<String, String> env, int port,
      int httpPort, Path log) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dhazelcast.local.localAddress=127.0.0.1",
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> environment = builder.environment();
    // The fix under test must hold without the C allocator's environment knobs.
    environment.keySet().removeIf(k -> k.startsWith("MALLOC_") || k.equals("JAVA_TOOL_OPTIONS"));
    environment.put("LABELFLIGHT_DATADIR", dir.resolve("data").toString());
    environment.put("LABELFLIGHT_FLIGHT_PORT", String.valueOf(port));
    environment.put("LABELFLIGHT_HTTP_PORT", String.valueOf(httpPort));
    environment.put("LABELFLIGHT_CLUSTER_PORT", String.valueOf(ServerProcess.freePort()));
    environment.put("LABELFLIGHT_DEMO_ENABLED", "false");
    environment.put("LABELFLIGHT_AUTH_DEVUSER_ENABLED", "true");
    environment.put("LABELFLIGHT_AUTH_DEVUSER_TOKEN", TestServer.TOKEN);
    environment.putAll(env);
    builder.directory(dir.toFile());
    builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return builder;
  }

  /** Until {@code /health} answers (a request that reaches HTTP at the instant it starts may go unanswered). */
  private void awaitHttp() throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (true) {
      try {
        get("/health", 5_000);
        return;
      } catch (IOException notYet) {
        if (!process.isAlive() || System.currentTimeMillis() > deadline) {
          throw new AssertionError("server process did not start; the end of " + log + ":\n" + logTail(40));
        }
        java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100)); // poll; bounded by the deadline
      }
    }
  }

  /** The last {@code lines} lines of the server's output. */
  String logTail(int lines) throws IOException {
    List<String> all = Files.readAllLines(log);
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  FlightClient client(BufferAllocator allocator) {
    return FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port))
        .intercept(new dev.labelflight.flight.auth.BearerToken(TestServer.TOKEN)).build();
  }

  /** GET with the tests' bearer token; the body. */
  String get(String path) throws IOException {
    return get(path, 60_000);
  }

  private String get(String path, int timeoutMs) throws IOException {
    HttpURLConnection connection = (HttpURLConnection) new URL("http://127.0.0.1:" + httpPort + path).openConnection();
    connection.setConnectTimeout(timeoutMs);
    connection.setReadTimeout(timeoutMs);
    connection.setRequestProperty("Authorization", "Bearer " + TestServer.TOKEN);
    try (var in = connection.getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  JsonObject health() throws IOException {
    return new JsonObject(get("/health"));
  }

  /** The sum of every series of one Prometheus family whose labels contain {@code labelFilter} (may be empty). */
  double metric(String family, String labelFilter) throws IOException {
    Matcher m = METRIC.matcher(get("/metrics"));
    double sum = 0;
    boolean found = false;
    while (m.find()) {
      if (m.group(1).equals(family) && (m.group(2) == null ? "" : m.group(2)).contains(labelFilter)) {
        sum += Double.parseDouble(m.group(3));
        found = true;
      }
    }
    if (!found) {
      throw new AssertionError("no metric " + family + labelFilter);
    }
    return sum;
  }

  /** A field of {@code /proc/PID/status} in KiB (VmRSS, VmHWM, ...). */
  long statusKib(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
      }
    }
    throw new AssertionError("no " + field + " in /proc/" + process.pid() + "/status");
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
