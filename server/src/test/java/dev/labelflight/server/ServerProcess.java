package dev.labelflight.server;

import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A server in its own JVM, started from the test class path with environment overrides. */
final class ServerProcess implements AutoCloseable {
  /** The user the server's dev token authenticates (conf/labelflight.json, auth.devUser.name). */
  static final String DEV_USER = "dev";
  /**
   * The cluster secret of every node this test JVM starts (a clustered node needs one; standalone nodes
   * ignore it): nodes of one test share it, other test runs cannot join them.
   */
  static final String CLUSTER_SECRET = dev.labelflight.engine.auth.SecretHash.randomToken();
  final Process process;
  final int port;
  final int httpPort;

  /** A standalone server with 1 worker, 128 MiB of budget and chunks of {@code chunkRows}. */
  ServerProcess(Path dataDir, Path log, int chunkRows) throws Exception {
    this(dataDir, log, chunkRows, Map.of());
  }

  /** As above; {@code env} adds or replaces {@code LABELFLIGHT_*} variables. */
  ServerProcess(Path dataDir, Path log, int chunkRows, Map<String, String> env) throws Exception {
    this(start(dataDir, log, chunkRows, env, freePort(), freePort()), log);
  }

  private ServerProcess(Started started, Path log) throws Exception {
    this.process = started.process;
    this.port = started.port;
    this.httpPort = started.httpPort;
    try {
      awaitListening(log);
    } catch (Exception | Error e) {
      // Nobody else holds this process yet: one that did not start in time must not outlive the test.
      kill();
      throw e;
    }
  }

  private record Started(Process process, int port, int httpPort) {}

  private static Started start(Path dataDir, Path log, int chunkRows, Map<String, String> extra, int port, int httpPort)
      throws Exception {
    ProcessBuilder builder = new ProcessBuilder(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dhazelcast.local.localAddress=127.0.0.1",
        "-cp", System.getProperty("java.class.path"), "dev.labelflight.server.Main"));
    Map<String, String> env = builder.environment();
    env.put("LABELFLIGHT_DATADIR", dataDir.toString());
    env.put("LABELFLIGHT_FLIGHT_PORT", String.valueOf(port));
    env.put("LABELFLIGHT_HTTP_PORT", String.valueOf(httpPort));
    env.put("LABELFLIGHT_DEMO_ENABLED", "false");
    env.put("LABELFLIGHT_STORE_CHUNKROWS", String.valueOf(chunkRows));
    env.put("LABELFLIGHT_WORKERS_INSTANCES", "1");
    env.put("LABELFLIGHT_MEMORY_BUDGETMIB", "128");
    env.put("LABELFLIGHT_CLUSTER_PORT", String.valueOf(freePort()));
    env.put("LABELFLIGHT_CLUSTER_SECRET", CLUSTER_SECRET);
    // Authentication on, as in production: the dev user with the tests' token.
    env.put("LABELFLIGHT_AUTH_DEVUSER_ENABLED", "true");
    env.put("LABELFLIGHT_AUTH_DEVUSER_TOKEN", TestServer.TOKEN);
    env.putAll(extra);
    builder.directory(dataDir.getParent().toFile());
    builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return new Started(builder.start(), port, httpPort);
  }

  private void awaitListening(Path log) throws Exception {
    long deadline = System.currentTimeMillis() + 180_000;
    while (true) {
      // HTTP comes up last, after Flight and after the node joined the cluster directory.
      try (Socket s = new Socket("127.0.0.1", httpPort)) {
        // A connect to a loopback port nobody listens on can succeed by connecting the socket to itself when
        // the kernel picks that port as the source (the likely cause of a CI run where /health was refused
        // right after this returned): not listening yet.
        if (s.getLocalPort() != httpPort) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      if (!process.isAlive() || System.currentTimeMillis() > deadline) {
        List<String> lines = java.nio.file.Files.readAllLines(log);
        throw new AssertionError("server process did not start; the end of " + log + ":\n"
            + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
      }
      java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
    }
  }

  /** A Flight client of this server acting as its dev user. */
  org.apache.arrow.flight.FlightClient client(org.apache.arrow.memory.BufferAllocator allocator) {
    return org.apache.arrow.flight.FlightClient.builder(allocator,
            org.apache.arrow.flight.Location.forGrpcInsecure("127.0.0.1", port))
        .intercept(new dev.labelflight.flight.auth.BearerToken(TestServer.TOKEN)).build();
  }

  /** GET on the HTTP port as the dev user (so {@code /health} has its details); the body as JSON. */
  io.vertx.core.json.JsonObject http(String path) throws Exception {
    var connection = (java.net.HttpURLConnection) new java.net.URL("http://127.0.0.1:" + httpPort + path).openConnection();
    connection.setRequestProperty("Authorization", "Bearer " + TestServer.TOKEN);
    try (var in = connection.getInputStream()) {
      return new io.vertx.core.json.JsonObject(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /** SIGTERM; returns the exit status. */
  int terminate() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new AssertionError("server still running 60 s after SIGTERM");
    }
    return process.exitValue();
  }

  void kill() throws InterruptedException {
    process.destroyForcibly(); // SIGKILL on Linux: no shutdown hook runs
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }

  static int freePort() throws java.io.IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
