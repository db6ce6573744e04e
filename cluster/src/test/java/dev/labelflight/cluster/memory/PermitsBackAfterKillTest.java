package dev.labelflight.cluster.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import dev.labelflight.engine.memory.Reservation;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * "Permits back after kill -9": a member in its own JVM holds bytes of a node's pool (and has a pool of
 * its own); it is killed with SIGKILL, so nothing of it runs any more; the surviving members drop its
 * holdings once Hazelcast takes it for dead, within the heartbeat timeout, and a reservation that waited
 * for those bytes is admitted.
 */
class PermitsBackAfterKillTest {
  private static final long MIB = 1 << 20;

  /**
   * Verifies that the bytes a killed member held come back to the pool it held them from, on every
   * survivor, within the heartbeat timeout, that a waiter for them is then admitted, and that the dead
   * member's own pool disappears.
   */
  @Test
  void killedMembersHoldingsComeBack() throws Exception {
    String nodeA = "node-a-" + UUID.randomUUID();
    String childNode = "node-child-" + UUID.randomUUID();
    List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
    try (LoopbackMembers members = new LoopbackMembers()) {
      HazelcastInstance a = members.start();
      try (HazelcastMemoryPool pool = HazelcastMemoryPool.create(a, nodeA, 64 * MIB);
           Reservation waiter = pool.newReservation("waits for the dead member's bytes")) {
        // The child JVM starts while the second survivor joins (C1 only and serial GC: a quicker start).
        Process child = new ProcessBuilder(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dhazelcast.local.localAddress=127.0.0.1",
            "-cp", System.getProperty("java.class.path"), PoolHolderMain.class.getName(),
            members.clusterName, String.valueOf(members.seedPort), childNode, nodeA, String.valueOf(48 * MIB)))
            .redirectErrorStream(true).start();
        try {
          CompletableFuture<Void> holding = new CompletableFuture<>();
          Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
              for (String line = in.readLine(); line != null; line = in.readLine()) {
                output.add(line);
                if (line.equals("HOLDING")) {
                  holding.complete(null);
                }
              }
            } catch (java.io.IOException ignored) {
              // the child died
            }
            holding.completeExceptionally(new AssertionError("child ended before holding: " + output));
          }, "child-output");
          reader.setDaemon(true);
          reader.start();
          HazelcastInstance b = members.start();
          holding.get(60, TimeUnit.SECONDS);

          HazelcastMemoryPoolTest.awaitEquals(48 * MIB, pool::reservedBytes, "a sees the child's holding");
          assertEquals(Map.of("child borrowing", 48 * MIB), pool.reservationsByHolder());
          assertEquals(16 * MIB, HazelcastMemoryPool.usage(b, nodeA).orElseThrow().freeBytes());
          assertTrue(HazelcastMemoryPool.usage(b, childNode).isPresent(), "the child's own pool is visible");
          CompletableFuture<Void> admitted = waiter.setBytes(32 * MIB, Duration.ofSeconds(60));
          assertFalse(admitted.isDone(), "32 MiB do not fit beside the child's 48");

          long killedAt = System.nanoTime();
          child.destroyForcibly(); // SIGKILL: no shutdown hook, no goodbye to the cluster
          assertTrue(child.waitFor(10, TimeUnit.SECONDS));
          admitted.get(LoopbackMembers.HEARTBEAT_TIMEOUT_SECONDS + 10, TimeUnit.SECONDS);
          long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killedAt);
          assertTrue(seconds <= LoopbackMembers.HEARTBEAT_TIMEOUT_SECONDS + 5, "back after " + seconds + " s");

          assertEquals(32 * MIB, pool.reservedBytes());
          assertEquals(Map.of("waits for the dead member's bytes", 32 * MIB), pool.reservationsByHolder());
          HazelcastMemoryPoolTest.awaitEquals(32 * MIB,
              () -> HazelcastMemoryPool.usage(b, nodeA).orElseThrow().reservedBytes(), "b sees the bytes back too");
          assertTrue(HazelcastMemoryPool.usage(b, childNode).isEmpty(), "the dead member's pool is gone");
          assertTrue(HazelcastMemoryPool.usages(a).stream().noneMatch(u -> u.node().equals(childNode)));
        } finally {
          child.destroyForcibly();
        }
      }
    }
  }
}
