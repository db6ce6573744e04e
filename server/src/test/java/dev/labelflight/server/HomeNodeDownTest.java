package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dataset whose home node is down (#16.7): two server processes clustered over Hazelcast on loopback,
 * the home node killed, an upload of the same name through the other node, the home node back.
 */
class HomeNodeDownTest {
  @TempDir Path dir;
  private final String clusterName = "labelflight-test-" + UUID.randomUUID();
  private final List<Integer> hazelcastPorts = new ArrayList<>();

  private ServerProcess start(String name, int index) throws Exception {
    Path data = dir.resolve(name);
    Files.createDirectories(data);
    Map<String, String> env = new HashMap<>();
    env.put("LABELFLIGHT_CLUSTER_ENABLED", "true");
    env.put("LABELFLIGHT_CLUSTER_NAME", clusterName);
    env.put("LABELFLIGHT_CLUSTER_PORT", String.valueOf(hazelcastPorts.get(index)));
    env.put("LABELFLIGHT_CLUSTER_MEMBERS", String.join(",", hazelcastPorts.stream().map(p -> "127.0.0.1:" + p).toList()));
    return new ServerProcess(data, dir.resolve(name + ".log"), 1_000, env);
  }

  /** Waits (at most 90 s, polling /health every 100 ms) until {@code node} sees {@code members} members. */
  private static void awaitMembers(ServerProcess node, int members) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (node.http("/health").getJsonObject("cluster").getInteger("members") != members) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("cluster did not reach " + members + " members: " + node.http("/health"));
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
    }
  }

  private static List<String> listing(FlightClient client) {
    List<String> seen = new ArrayList<>();
    for (FlightInfo info : client.listFlights(Criteria.ALL)) {
      JsonObject meta = new JsonObject(new String(info.getAppMetadata(), StandardCharsets.UTF_8));
      seen.add(meta.getString("name") + "@" + meta.getInteger("version") + ":" + info.getRecords());
    }
    return seen;
  }

  /**
   * Verifies that while a dataset's home node is down, an upload of the same name through another node is
   * refused with UNAVAILABLE naming the home node, and stores nothing there (it used to be stored there
   * and then hide the home node's versions for good); that once the home node is back, its data is listed
   * through the other node again and the next upload there becomes its version 2.
   */
  @Test
  void sameNameUploadWhileTheHomeNodeIsDownIsRefused() throws Exception {
    hazelcastPorts.add(ServerProcess.freePort());
    hazelcastPorts.add(ServerProcess.freePort());
    List<ServerProcess> started = new ArrayList<>();
    try (RootAllocator allocator = new RootAllocator()) {
      ServerProcess a = start("a", 0);
      started.add(a);
      ServerProcess b = start("b", 1);
      started.add(b);
      awaitMembers(b, 2);
      String homeNode = a.http("/health").getString("node");
      try (FlightClient toA = a.client(allocator)) {
        FlightClients.uploadReviews(toA, allocator, "reviews", 1, 1_500);
      }
      a.kill();
      awaitMembers(b, 1);
      try (FlightClient toB = b.client(allocator)) {
        FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
            () -> FlightClients.uploadReviews(toB, allocator, "reviews", 2, 700));
        assertEquals(FlightStatusCode.UNAVAILABLE, e.status().code(), e.getMessage());
        assertTrue(e.getMessage().contains(homeNode) && e.getMessage().contains("down"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("b").resolve("datasets").resolve(ServerProcess.DEV_USER + "~reviews")),
            "nothing of the refused upload is stored on the other node");
        assertEquals(List.of(), listing(toB));

        ServerProcess again = start("a", 0);
        started.add(again);
        awaitMembers(b, 2);
        assertEquals(List.of("reviews@1:1500"), listing(toB), "the home node's data is back");
        JsonObject ack = FlightClients.uploadReviews(toB, allocator, "reviews", 3, 700);
        assertEquals(2, ack.getInteger("version"), ack.encode());
        assertEquals(List.of("reviews@1:1500", "reviews@2:700"), listing(toB));
      }
    } finally {
      for (ServerProcess node : started) {
        node.close();
      }
    }
  }
}
