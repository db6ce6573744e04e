package dev.labelflight.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.cluster.memory.HazelcastMemoryPool;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.memory.LocalMemoryPool;
import dev.labelflight.engine.memory.MemoryPool;
import dev.labelflight.engine.memory.Reservation;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** A node's memory pool as {@link ClusterNode} sets it up, standalone and clustered. */
class ClusterNodeMemoryTest {

  /**
   * Verifies that a standalone node counts its pool in-process, serves waiters in arrival order, and
   * that the old budget calls (still used by the verticles) go through the same pool.
   */
  @Test
  @SuppressWarnings("deprecation")
  void standaloneNodeHasAnInProcessPool() throws Exception {
    try (ClusterNode node = ClusterNode.start("labelflight-test", 5701, List.of(), 100 << 10)) {
      MemoryPool pool = node.memoryPool();
      assertInstanceOf(LocalMemoryPool.class, pool);
      assertEquals(100 << 10, pool.maxBytes());
      try (Reservation a = pool.newReservation("a"); Reservation b = pool.newReservation("b");
           Reservation c = pool.newReservation("c")) {
        assertTrue(a.trySetBytes(80 << 10));
        CompletableFuture<Void> waitB = b.setBytes(50 << 10, Duration.ofSeconds(10));
        CompletableFuture<Void> waitC = c.setBytes(10 << 10, Duration.ofSeconds(10));
        assertFalse(waitC.isDone(), "c must not overtake b");
        a.close();
        waitB.get(10, TimeUnit.SECONDS);
        waitC.get(10, TimeUnit.SECONDS);
        assertEquals(40 << 10, node.freeBytesOf(node.nodeId()));
      }
      assertEquals(0, node.freeBytesOf("another-node"), "a standalone node knows no other node");
      assertEquals(pool.maxBytes(), pool.freeBytes());
    }
  }

  /**
   * Verifies that clustered nodes keep their pools in the cluster's pool map: each reads the other's
   * free bytes as they change, and both pools are listed.
   */
  @Test
  void clusteredNodesSeeEachOthersFreeBytes() throws Exception {
    String cluster = "lf-node-test-" + UUID.randomUUID();
    int port = freePort();
    List<String> seed = List.of("127.0.0.1:" + port);
    // Members of one cluster hold one secret (the cluster name Hazelcast sees is derived from it).
    ClusterSecret secret = ClusterSecret.random();
    try (ClusterNode one = ClusterNode.start(cluster, secret, port, seed, 64L << 20);
         ClusterNode two = ClusterNode.start(cluster, secret, freePort(), seed, 32L << 20)) {
      assertInstanceOf(HazelcastMemoryPool.class, one.memoryPool());
      assertEquals(2, one.members());
      try (Reservation r = two.memoryPool().newReservation("resident copy")) {
        assertTrue(r.trySetBytes(20L << 20));
        assertEquals(12L << 20, one.freeBytesOf(two.nodeId()));
        assertEquals(12L << 20, two.freeBytesOf(two.nodeId()));
        assertEquals(64L << 20, two.freeBytesOf(one.nodeId()));
        assertEquals(2, one.memoryPools().size());
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (one.freeBytesOf(two.nodeId()) != 32L << 20 && System.nanoTime() < deadline) {
        LockSupport.parkNanos(1_000_000);
      }
      assertEquals(32L << 20, one.freeBytesOf(two.nodeId()));
    }
  }

  /** Verifies that the loopback configuration refuses a member that is not on 127.0.0.1. */
  @Test
  void refusesNonLoopbackMembers() {
    assertThrows(IllegalArgumentException.class,
        () -> LoopbackHazelcastConfig.build("x", 5701, List.of("10.0.0.1")));
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
