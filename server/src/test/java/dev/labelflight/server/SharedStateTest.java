package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.DistributedObject;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.labelflight.cluster.ClusterSecret;
import dev.labelflight.cluster.EventBusCredential;
import dev.labelflight.cluster.LoopbackHazelcastConfig;
import dev.labelflight.flight.cluster.NodeClients;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.arrow.flight.CallHeaders;
import org.apache.arrow.flight.CallInfo;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightCallHeaders;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.FlightServerMiddleware;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.HeaderCallOption;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.NoOpFlightProducer;
import org.apache.arrow.flight.RequestContext;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a node keeps in shared state (Hazelcast maps) and accepts on its event-bus port grants nothing:
 * a clustered node in its own JVM, read by a Hazelcast member in this JVM that holds the cluster's
 * secret, and sent a forged event-bus frame by a plain socket.
 */
class SharedStateTest {
  private static final String DROPPED = EventBusCredential.DROPPED;

  @TempDir static Path dir;

  private static final int HAZELCAST_PORT = freePort();
  private static final String CLUSTER_NAME = "labelflight-test-" + UUID.randomUUID();
  private static ServerProcess node;

  @BeforeAll
  static void startNode() throws Exception {
    Path data = dir.resolve("node");
    Files.createDirectories(data);
    Map<String, String> env = new HashMap<>();
    env.put("LABELFLIGHT_CLUSTER_ENABLED", "true");
    env.put("LABELFLIGHT_CLUSTER_NAME", CLUSTER_NAME);
    env.put("LABELFLIGHT_CLUSTER_PORT", String.valueOf(HAZELCAST_PORT));
    env.put("LABELFLIGHT_CLUSTER_MEMBERS", "127.0.0.1:" + HAZELCAST_PORT);
    node = new ServerProcess(data, dir.resolve("node.log"), 1000, env);
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  /**
   * Verifies that no value or key of any map a clustered node creates, used as the node credential or as a
   * bearer token on that node's Flight endpoint, gets a call through (each is UNAUTHENTICATED, or
   * RESOURCE_EXHAUSTED once wrong tokens are throttled).
   */
  @Test
  void nothingReadFromSharedStateAuthenticates() throws Exception {
    try (RootAllocator allocator = new RootAllocator();
         FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", node.port)).build()) {
      HazelcastInstance member = joinAsMember();
      Set<String> candidates = new LinkedHashSet<>();
      try {
        for (DistributedObject object : settledObjects(member)) {
          if (object instanceof IMap<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
              collect(String.valueOf(e.getKey()), candidates);
              collect(String.valueOf(e.getValue()), candidates);
            }
          }
        }
      } finally {
        member.shutdown();
      }
      assertFalse(candidates.isEmpty(), "the node's maps were empty");
      // The credential a node derives from the secret does get in: the refusals below are about the values.
      String genuine = ClusterSecret.of(ServerProcess.CLUSTER_SECRET).nodeCredential();
      FlightCallHeaders asPeer = new FlightCallHeaders();
      asPeer.insert(NodeClients.NODE_HEADER, genuine);
      client.listFlights(Criteria.ALL, new HeaderCallOption(asPeer)).forEach(i -> { });
      assertFalse(candidates.stream().anyMatch(c -> c.contains(genuine)), "the node credential is in shared state");
      for (String candidate : candidates) {
        FlightCallHeaders asNode = new FlightCallHeaders();
        asNode.insert(NodeClients.NODE_HEADER, candidate);
        FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
            () -> client.listFlights(Criteria.ALL, new HeaderCallOption(asNode)).forEach(i -> { }),
            "'" + candidate + "' read from shared state works as the node credential");
        assertEquals(FlightStatusCode.UNAUTHENTICATED, e.status().code(), e.toString());
        FlightCallHeaders asUser = new FlightCallHeaders();
        asUser.insert("authorization", "Bearer " + candidate);
        e = assertThrows(FlightRuntimeException.class,
            () -> client.listFlights(Criteria.ALL, new HeaderCallOption(asUser)).forEach(i -> { }),
            "'" + candidate + "' read from shared state works as a bearer token");
        assertTrue(e.status().code() == FlightStatusCode.UNAUTHENTICATED
            || e.status().code() == FlightStatusCode.RESOURCE_EXHAUSTED, e.toString());
      }
    }
  }

  /**
   * Verifies that a frame written straight to a clustered node's event-bus port (found in the Vert.x
   * cluster map), asking the node to load a resident copy from a Flight endpoint the sender runs, is
   * dropped: the node never calls that endpoint, so it hands out no node credential.
   */
  @Test
  void forgedEventBusMessageIsDropped() throws Exception {
    CompletableFuture<String> presented = new CompletableFuture<>();
    try (RootAllocator allocator = new RootAllocator();
         FlightServer trap = FlightServer.builder(allocator, Location.forGrpcInsecure("127.0.0.1", 0),
                 new NoOpFlightProducer())
             .middleware(FlightServerMiddleware.Key.of("trap"), new Trap(presented)).build().start()) {
      String nodeId = node.http("/health").getString("node");
      HazelcastInstance member = joinAsMember();
      try {
        Object info = member.getMap("__vertx.nodeInfo").get(nodeId);
        io.vertx.core.spi.cluster.NodeInfo bus = ((io.vertx.spi.cluster.hazelcast.impl.HazelcastNodeInfo) info).unwrap();
        assertEquals("127.0.0.1", bus.host(), "the event bus listens on loopback only");
        JsonObject body = new JsonObject().put("dataset", "dev~reviews").put("version", 1).put("bytes", 1024)
            .put("ownerFlight", "grpc://127.0.0.1:" + trap.getPort());
        try (Socket socket = new Socket(bus.host(), bus.port()); OutputStream out = socket.getOutputStream()) {
          out.write(frame("labelflight.node." + nodeId + ".host_resident", body).getBytes());
          out.flush();
          // Either the node calls the trap or it logs that it dropped the frame.
          long deadline = System.currentTimeMillis() + 60_000;
          while (!presented.isDone() && !Files.readString(dir.resolve("node.log")).contains(DROPPED)) {
            assertTrue(System.currentTimeMillis() < deadline, "the node neither obeyed nor dropped the frame");
            try {
              presented.get(100, TimeUnit.MILLISECONDS);
            } catch (TimeoutException notYet) {
              // poll again
            }
          }
        }
      } finally {
        member.shutdown();
      }
      assertFalse(presented.isDone(),
          () -> "the node obeyed a forged event-bus message and presented '" + presented.getNow("") + "' to the sender");
    }
  }

  /** A Vert.x clustered event-bus frame (wire protocol 2): a send of a JSON object, no reply address, no headers. */
  private static Buffer frame(String address, JsonObject body) {
    Buffer b = Buffer.buffer();
    b.appendInt(0);
    b.appendByte((byte) 2); // protocol version
    b.appendByte((byte) 13); // JsonObject codec (JsonObjectMessageCodec.systemCodecID)
    b.appendByte((byte) 0); // send, not publish
    string(b, address);
    b.appendInt(0); // no reply address
    string(b, UUID.randomUUID().toString()); // sender node id
    b.appendInt(4); // no headers
    Buffer json = body.toBuffer();
    b.appendInt(json.length());
    b.appendBuffer(json);
    b.setInt(0, b.length() - 4);
    return b;
  }

  private static void string(Buffer b, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    b.appendInt(bytes.length);
    b.appendBytes(bytes);
  }

  /** Records the node credential of the first call it sees, then refuses it. */
  private record Trap(CompletableFuture<String> presented) implements FlightServerMiddleware.Factory<FlightServerMiddleware> {
    @Override
    public FlightServerMiddleware onCallStarted(CallInfo info, CallHeaders headers, RequestContext context) {
      presented.complete(String.valueOf(headers.get(NodeClients.NODE_HEADER)));
      throw CallStatus.UNAVAILABLE.withDescription("trap").toRuntimeException();
    }
  }

  /**
   * The member's distributed objects once it knows the node's: a joining member creates its proxies of
   * existing objects in the background, so this waits (bounded) until the directory and the Vert.x maps are
   * there and the list has not changed for a few polls.
   */
  private static java.util.Collection<DistributedObject> settledObjects(HazelcastInstance member) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    Set<String> previous = Set.of();
    int stable = 0;
    while (true) {
      java.util.Collection<DistributedObject> objects = member.getDistributedObjects();
      Set<String> names = new java.util.TreeSet<>();
      objects.forEach(o -> names.add(o.getName()));
      stable = names.equals(previous) ? stable + 1 : 0;
      previous = names;
      if (stable >= 3 && names.contains("labelflight.nodes") && names.contains("__vertx.nodeInfo")) {
        return objects;
      }
      assertTrue(System.currentTimeMillis() < deadline, "the member never saw the node's maps: " + names);
      new CompletableFuture<Void>().completeOnTimeout(null, 200, TimeUnit.MILLISECONDS).get();
    }
  }

  /** Every whole string and every token-like piece of it (16 characters or more). */
  private static void collect(String text, Set<String> out) {
    out.add(text);
    for (String piece : text.split("[^A-Za-z0-9_\\-+/=]+")) {
      if (piece.length() >= 16) {
        out.add(piece);
      }
    }
  }

  /** A Hazelcast member in this JVM that joins the node's cluster as another node would. */
  private static HazelcastInstance joinAsMember() {
    return Hazelcast.newHazelcastInstance(LoopbackHazelcastConfig.build(
        ClusterSecret.of(ServerProcess.CLUSTER_SECRET).clusterName(CLUSTER_NAME), freePort(),
        List.of("127.0.0.1:" + HAZELCAST_PORT)));
  }

  private static int freePort() {
    try {
      return ServerProcess.freePort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
