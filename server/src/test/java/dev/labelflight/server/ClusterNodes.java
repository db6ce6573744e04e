package dev.labelflight.server;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Server processes clustered over Hazelcast on loopback (TCP-IP join, a random cluster name, free ports),
 * each with its own data directory, for the cluster tests. Room for {@code capacity} members is reserved up
 * front (every member lists every port), so a node can join later. Closing kills what still runs.
 */
final class ClusterNodes implements AutoCloseable {
  /** One member: its process, its node id (from /health) and a Flight client acting as the dev user. */
  record Node(String name, ServerProcess process, String id, FlightClient client) {
    JsonObject status(String job) {
      return FlightClients.action(client, "job_status", "{\"job\":\"" + job + "\"}");
    }
  }

  private final Path dir;
  private final int chunkRows;
  private final BufferAllocator allocator;
  private final List<Integer> hazelcastPorts = new ArrayList<>();
  private final String clusterName = "labelflight-test-" + UUID.randomUUID();
  private final List<Node> nodes = new CopyOnWriteArrayList<>();

  ClusterNodes(Path dir, int chunkRows, int capacity, BufferAllocator allocator) throws Exception {
    this.dir = dir;
    this.chunkRows = chunkRows;
    this.allocator = allocator;
    for (int i = 0; i < capacity; i++) {
      hazelcastPorts.add(ServerProcess.freePort());
    }
  }

  /** Starts the named nodes in parallel (each takes seconds, mostly waiting for the others), with their extra env. */
  List<Node> start(Map<String, Map<String, String>> namesAndEnv) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(namesAndEnv.size());
    try {
      List<Future<Node>> futures = new ArrayList<>();
      for (var e : namesAndEnv.entrySet()) {
        int index = nodes.size() + futures.size();
        futures.add(pool.submit(() -> start(e.getKey(), index, e.getValue())));
      }
      List<Node> started = new ArrayList<>();
      for (Future<Node> f : futures) {
        started.add(f.get());
      }
      return started;
    } finally {
      pool.shutdown();
    }
  }

  private Node start(String name, int index, Map<String, String> extra) throws Exception {
    Path data = dir.resolve(name);
    Files.createDirectories(data);
    Map<String, String> env = new HashMap<>();
    env.put("LABELFLIGHT_CLUSTER_ENABLED", "true");
    env.put("LABELFLIGHT_CLUSTER_NAME", clusterName);
    env.put("LABELFLIGHT_CLUSTER_PORT", String.valueOf(hazelcastPorts.get(index)));
    env.put("LABELFLIGHT_CLUSTER_MEMBERS", String.join(",", hazelcastPorts.stream().map(p -> "127.0.0.1:" + p).toList()));
    env.putAll(extra);
    ServerProcess process = new ServerProcess(data, dir.resolve(name + ".log"), chunkRows, env);
    Node node = new Node(name, process, process.http("/health").getString("node"), process.client(allocator));
    nodes.add(node);
    return node;
  }

  /** Waits until {@code node} sees {@code members} members. */
  static void awaitMembers(Node node, int members) throws Exception {
    Await.until(Duration.ofSeconds(90), () -> node.process().http("/health").getJsonObject("cluster").getInteger("members"),
        n -> n == members, node.name() + " sees " + members + " members");
  }

  /** Waits until every node's directory view lists {@code count} nodes with their room (published every 2 s). */
  static void awaitDirectory(Node node, int count) throws Exception {
    Await.until(Duration.ofSeconds(30), () -> node.process().http("/health").getJsonObject("cluster")
        .getJsonArray("nodes").size(), n -> n == count, node.name() + " lists " + count + " nodes");
  }

  /** The server log of a node, for failure messages. */
  String log(String name) throws Exception {
    Path log = dir.resolve(name + ".log");
    if (!Files.exists(log)) {
      return "";
    }
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  static String apply(String lfs, String mode) {
    return "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],\"mode\":\"" + mode + "\",\"lfs\":" + lfs + "}";
  }

  static int chunksOn(JsonObject status, String nodeId) {
    return status.getJsonObject("chunksByNode").getInteger(nodeId, 0);
  }

  static int sum(JsonObject byNode) {
    return byNode.stream().mapToInt(e -> ((Number) e.getValue()).intValue()).sum();
  }

  /** Polls a job's status on {@code via} until it ends; returns the final status. */
  static JsonObject awaitEnd(Node via, String job, Duration within) throws Exception {
    return Await.until(within, () -> via.status(job), s -> !s.getString("state").equals("RUNNING"), "job " + job + " ends");
  }

  @Override
  public void close() throws Exception {
    Exception first = null;
    for (Node node : nodes) {
      try {
        node.client().close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
      node.process().close();
    }
    if (first != null) {
      throw first;
    }
  }
}
