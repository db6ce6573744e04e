package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.cluster.ClusterSecret;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault suite's outsider: a process on the same host with the stock {@code hazelcast-python-client}
 * (from {@code server/outsider/setup-venv.sh}, whose python {@code bin/test} passes in
 * {@code LABELFLIGHT_OUTSIDER_PYTHON}; skipped without it) tries every cluster name it could know or
 * guess against a standalone node and a clustered one.
 */
class OutsiderClientTest {
  @TempDir Path dir;

  /**
   * Verifies that the stock Hazelcast client can neither connect to a standalone node nor to a clustered
   * node under Hazelcast's default cluster name, LabelFlight's configured name or the standalone name
   * built from the node id, nor even under the real one (derived from the cluster's secret: the nodes have
   * no client endpoint at all), so it reads nothing (directory, datasets, node credential) and changes
   * nothing (budget, directory); that both nodes keep serving afterwards; and that every socket they listen
   * on (Flight, HTTP, Hazelcast, the event bus) is bound to 127.0.0.1.
   */
  @Test
  void stockHazelcastClientGetsNothing() throws Exception {
    String python = System.getenv("LABELFLIGHT_OUTSIDER_PYTHON");
    Assumptions.assumeTrue(python != null && !python.isBlank(),
        "LABELFLIGHT_OUTSIDER_PYTHON not set (bin/test sets it up with server/outsider/setup-venv.sh)");
    int standalonePort = ServerProcess.freePort();
    int clusteredPort = ServerProcess.freePort();
    CompletableFuture<ServerProcess> standalone = CompletableFuture.supplyAsync(() -> start("standalone",
        Map.of("LABELFLIGHT_CLUSTER_PORT", String.valueOf(standalonePort))));
    CompletableFuture<ServerProcess> clustered = CompletableFuture.supplyAsync(() -> start("clustered", Map.of(
        "LABELFLIGHT_CLUSTER_ENABLED", "true",
        "LABELFLIGHT_CLUSTER_PORT", String.valueOf(clusteredPort),
        "LABELFLIGHT_CLUSTER_MEMBERS", "127.0.0.1:" + clusteredPort)));
    try (ServerProcess alone = standalone.get(150, TimeUnit.SECONDS);
         ServerProcess member = clustered.get(150, TimeUnit.SECONDS)) {
      // Even the real cluster name (derived from the secret, which an outsider does not have) gets a client
      // nowhere: the nodes have no client endpoint.
      String real = ClusterSecret.of(ServerProcess.CLUSTER_SECRET).clusterName("labelflight");
      List<JsonObject> attempts = new ArrayList<>();
      attempts.addAll(attack(python, alone, standalonePort, real));
      attempts.addAll(attack(python, member, clusteredPort, real));
      for (JsonObject attempt : attempts) {
        assertFalse(attempt.getBoolean("connected"), "an outsider got in: " + attempt.encode());
      }
      assertEquals(8, attempts.size(), attempts.toString());
      for (ServerProcess node : List.of(alone, member)) {
        assertTrue(node.process.isAlive());
        assertEquals("UP", node.http("/health").getString("status"));
        List<String> listening = listening(node.process.pid());
        assertTrue(listening.size() >= 3, "Flight, HTTP, Hazelcast and (clustered) the event bus: " + listening);
        for (String address : listening) {
          assertTrue(address.startsWith("127.0.0.1:"), "node listens on " + address + ", not only on loopback: " + listening);
        }
      }
    }
  }

  private ServerProcess start(String name, Map<String, String> env) {
    try {
      Path data = dir.resolve(name);
      Files.createDirectories(data);
      return new ServerProcess(data, dir.resolve(name + ".log"), 1000, env);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the " + name + " node", e);
    }
  }

  /** The outsider's attempts at one node's Hazelcast port, one JSON object per cluster name tried. */
  private static List<JsonObject> attack(String python, ServerProcess node, int hazelcastPort, String realName)
      throws Exception {
    // The node id is what /health used to hand out to anyone (the test asks as a user).
    String nodeId = node.http("/health").getString("node");
    List<String> command = new ArrayList<>(List.of(python, script().toString(), "127.0.0.1:" + hazelcastPort,
        "--semaphore", "labelflight.budget." + nodeId,
        "dev", "labelflight", "labelflight-standalone-" + nodeId, realName));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the outsider client did not finish: " + output);
    }
    System.out.print(output);
    assertEquals(0, process.exitValue(), output);
    List<JsonObject> results = new ArrayList<>();
    for (String line : output.split("\n")) {
      if (line.startsWith("{")) {
        results.add(new JsonObject(line));
      }
    }
    return results;
  }

  /**
   * The local addresses of the TCP sockets process {@code pid} listens on, from {@code /proc}: the
   * process's socket inodes matched against the LISTEN entries of {@code /proc/net/tcp} and {@code tcp6}
   * (IPv4-mapped IPv6 addresses shown as IPv4).
   */
  static List<String> listening(long pid) throws java.io.IOException {
    java.util.Set<String> inodes = new java.util.HashSet<>();
    try (var fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (java.io.IOException gone) {
          // closed meanwhile
        }
      }
    }
    List<String> out = new ArrayList<>();
    for (String table : List.of("tcp", "tcp6")) {
      List<String> lines = Files.readAllLines(Path.of("/proc", String.valueOf(pid), "net", table));
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f[3].equals("0A") && inodes.contains(f[9])) { // 0A: LISTEN
          out.add(address(f[1]));
        }
      }
    }
    return out;
  }

  /** A /proc/net/tcp{,6} local address (little-endian hex words, hex port) as HOST:PORT. */
  private static String address(String hex) {
    String[] hostPort = hex.split(":");
    int port = Integer.parseInt(hostPort[1], 16);
    String host = hostPort[0];
    byte[] bytes = new byte[host.length() / 2];
    for (int word = 0; word < bytes.length / 4; word++) {
      for (int i = 0; i < 4; i++) { // each 32-bit word is little-endian
        bytes[word * 4 + i] = (byte) Integer.parseInt(host.substring(word * 8 + (3 - i) * 2, word * 8 + (3 - i) * 2 + 2), 16);
      }
    }
    try {
      java.net.InetAddress a = java.net.InetAddress.getByAddress(bytes);
      return (a instanceof java.net.Inet6Address ? "[" + a.getHostAddress() + "]" : a.getHostAddress()) + ":" + port;
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Path script() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path p = d.resolve("outsider/outsider_client.py");
      if (Files.exists(p)) {
        return p;
      }
      p = d.resolve("server/outsider/outsider_client.py");
      if (Files.exists(p)) {
        return p;
      }
    }
    throw new IllegalStateException("outsider/outsider_client.py not found above " + Path.of("").toAbsolutePath());
  }
}
