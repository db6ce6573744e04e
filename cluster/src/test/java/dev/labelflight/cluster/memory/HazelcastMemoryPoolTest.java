package dev.labelflight.cluster.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.memory.MemoryPool;
import dev.labelflight.engine.memory.Reservation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cluster memory pool on three real Hazelcast members over loopback: what one member reserves, the
 * others see; members that reserve from one pool at once never over-commit it; a member that leaves gives
 * its bytes back; the admission rules (FIFO, bounded waits, CANCELLED on close) hold across members.
 */
class HazelcastMemoryPoolTest {
  private static final long MIB = 1 << 20;
  private static LoopbackMembers members;
  private static HazelcastInstance a;
  private static HazelcastInstance b;
  private static HazelcastInstance c;

  @BeforeAll
  static void start() throws Exception {
    members = new LoopbackMembers();
    a = members.start();
    b = members.start();
    c = members.start();
    assertEquals(3, a.getCluster().getMembers().size());
  }

  @AfterAll
  static void stop() {
    members.close();
  }

  private static String node() {
    return "node-" + UUID.randomUUID();
  }

  /** Waits until {@code value} is {@code expected}, at most 10 s (entry events reach members asynchronously). */
  static void awaitEquals(long expected, LongSupplier value, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (value.getAsLong() != expected) {
      if (System.nanoTime() > deadline) {
        assertEquals(expected, value.getAsLong(), what);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // poll; bounded by the deadline above
    }
  }

  /**
   * Verifies that every member reads a node's free bytes as its home member reserves them, that a member
   * reserving from another node's pool is counted there (home member's view included), and that holders
   * of every member are listed.
   */
  @Test
  void freeBytesVisibleOnEveryMember() throws Exception {
    String nodeA = node();
    try (HazelcastMemoryPool pool = HazelcastMemoryPool.create(a, nodeA, 100 * MIB);
         HazelcastMemoryPool fromB = HazelcastMemoryPool.attach(b, nodeA);
         Reservation local = pool.newReservation("job 1 chunk 0");
         Reservation remote = fromB.newReservation("borrowed chunk 7")) {
      assertTrue(local.trySetBytes(30 * MIB));
      assertEquals(70 * MIB, HazelcastMemoryPool.usage(b, nodeA).orElseThrow().freeBytes());
      assertEquals(70 * MIB, HazelcastMemoryPool.usage(c, nodeA).orElseThrow().freeBytes());
      assertTrue(remote.trySetBytes(20 * MIB));
      assertEquals(50 * MIB, fromB.reservedBytes(), "the reserving member knows at once");
      awaitEquals(50 * MIB, pool::reservedBytes, "the home member hears of the other member's holding");
      assertEquals(50 * MIB, pool.freeBytes());
      assertEquals(Map.of("job 1 chunk 0", 30 * MIB, "borrowed chunk 7", 20 * MIB), pool.reservationsByHolder());
      assertTrue(HazelcastMemoryPool.usages(c).stream()
          .anyMatch(u -> u.node().equals(nodeA) && u.reservedBytes() == 50 * MIB && u.maxBytes() == 100 * MIB));
    }
    // Closed reservations gave everything back; the pool entry stays while its member lives.
    assertEquals(0, HazelcastMemoryPool.usage(c, nodeA).orElseThrow().reservedBytes());
  }

  /**
   * Verifies that reservations racing from two members and two threads each take exactly what fits: of
   * 160 single-KiB attempts on a 64 KiB pool, 64 succeed; then growing and shrinking under contention
   * leaves nothing behind once every reservation is closed.
   */
  @Test
  void concurrentReservationsFromTwoMembersNeverOvercommit() throws Exception {
    String node = node();
    long unit = 1024;
    try (HazelcastMemoryPool home = HazelcastMemoryPool.create(a, node, 64 * unit);
         HazelcastMemoryPool other = HazelcastMemoryPool.attach(b, node)) {
      List<MemoryPool> pools = List.of(home, home, other, other);
      CyclicBarrier go = new CyclicBarrier(pools.size());
      ExecutorService threads = Executors.newFixedThreadPool(pools.size());
      List<Reservation> granted = java.util.Collections.synchronizedList(new ArrayList<>());
      try {
        List<Future<?>> runs = new ArrayList<>();
        for (MemoryPool pool : pools) {
          runs.add(threads.submit(() -> {
            go.await(10, TimeUnit.SECONDS);
            for (int i = 0; i < 40; i++) {
              Reservation r = pool.newReservation("slot");
              if (r.trySetBytes(unit)) {
                granted.add(r);
              } else {
                r.close();
              }
            }
            return null;
          }));
        }
        for (Future<?> run : runs) {
          run.get(15, TimeUnit.SECONDS);
        }
        assertEquals(64, granted.size(), "exactly the pool's size was granted");
        assertEquals(64 * unit, HazelcastMemoryPool.usage(c, node).orElseThrow().reservedBytes());
        granted.forEach(Reservation::close);

        runs.clear();
        for (MemoryPool pool : pools) {
          runs.add(threads.submit(() -> {
            go.await(10, TimeUnit.SECONDS);
            try (Reservation r = pool.newReservation("churn")) {
              for (int i = 0; i < 50; i++) {
                r.trySetBytes((1 + i % 16) * unit); // up to 64 KiB across the four threads: always fits
                assertEquals((1 + i % 16) * unit, r.bytes());
              }
            }
            return null;
          }));
        }
        for (Future<?> run : runs) {
          run.get(15, TimeUnit.SECONDS);
        }
      } finally {
        threads.shutdownNow();
      }
      assertEquals(0, HazelcastMemoryPool.usage(c, node).orElseThrow().reservedBytes(), "no update lost");
      assertTrue(home.reservationsByHolder().isEmpty());
    }
  }

  /**
   * Verifies that a waiter on one member is admitted when another member frees the bytes, in arrival
   * order, that a request never overtakes it, and that a bounded wait fails naming the bytes needed and
   * free (counting other members' holdings).
   */
  @Test
  void waitersServedWhenAnotherMemberFrees() throws Exception {
    String node = node();
    try (HazelcastMemoryPool home = HazelcastMemoryPool.create(a, node, 100 * MIB);
         HazelcastMemoryPool other = HazelcastMemoryPool.attach(c, node);
         Reservation big = home.newReservation("big");
         Reservation small = home.newReservation("small");
         Reservation late = home.newReservation("late")) {
      Reservation held = other.newReservation("held elsewhere");
      assertTrue(held.trySetBytes(90 * MIB));
      awaitEquals(90 * MIB, home::reservedBytes, "home sees the other member's holding");
      CompletableFuture<Void> bigWait = big.setBytes(60 * MIB, Duration.ofSeconds(30));
      CompletableFuture<Void> smallWait = small.setBytes(5 * MIB, Duration.ofSeconds(30));
      assertFalse(late.trySetBytes(MIB), "no overtaking of waiters");
      ExecutionException timedOut = assertThrows(ExecutionException.class,
          () -> late.setBytes(20 * MIB, Duration.ofMillis(100)).get(10, TimeUnit.SECONDS));
      String message = timedOut.getCause().getMessage();
      assertEquals(LabelFlightException.Kind.RESOURCE_EXHAUSTED, ((LabelFlightException) timedOut.getCause()).kind());
      assertTrue(message.contains("needs 20 MiB more") && message.contains("only 10 MiB of 100 MiB"), message);
      assertFalse(bigWait.isDone());
      assertFalse(smallWait.isDone(), "the small one waits behind the big one");
      held.close();
      bigWait.get(10, TimeUnit.SECONDS);
      smallWait.get(10, TimeUnit.SECONDS);
      assertEquals(65 * MIB, home.reservedBytes());
    }
  }

  /** Verifies that closing a reservation that waits ends its wait with CANCELLED and lets the next one in. */
  @Test
  void closingAWaiterCancelsIt() throws Exception {
    String node = node();
    try (HazelcastMemoryPool home = HazelcastMemoryPool.create(b, node, 10 * MIB);
         Reservation full = home.newReservation("full");
         Reservation next = home.newReservation("next")) {
      assertTrue(full.trySetBytes(10 * MIB));
      Reservation waiting = home.newReservation("waiting");
      CompletableFuture<Void> first = waiting.setBytes(8 * MIB, Duration.ofMinutes(5));
      CompletableFuture<Void> second = next.setBytes(2 * MIB, Duration.ofMinutes(5));
      waiting.close();
      ExecutionException e = assertThrows(ExecutionException.class, () -> first.get(10, TimeUnit.SECONDS));
      assertEquals(LabelFlightException.Kind.CANCELLED, ((LabelFlightException) e.getCause()).kind());
      assertTrue(full.trySetBytes(7 * MIB));
      second.get(10, TimeUnit.SECONDS);
      assertEquals(9 * MIB, HazelcastMemoryPool.usage(a, node).orElseThrow().reservedBytes());
      LabelFlightException closed = assertThrows(LabelFlightException.class, () -> waiting.trySetBytes(1));
      assertEquals(LabelFlightException.Kind.CANCELLED, closed.kind());
    }
  }

  /**
   * Verifies that a member that leaves (shutdown) gives back what it held of other nodes' pools, its own
   * pool disappears from every member's view, and a second pool cannot take a live node's id.
   */
  @Test
  void leavingMemberGivesItsBytesBack() throws Exception {
    String node = node();
    String leaverNode = node();
    try (HazelcastMemoryPool home = HazelcastMemoryPool.create(a, node, 100 * MIB)) {
      HazelcastInstance leaver = members.start();
      HazelcastMemoryPool leaverPool = HazelcastMemoryPool.create(leaver, leaverNode, 10 * MIB);
      leaverPool.newReservation("own").trySetBytes(MIB);
      HazelcastMemoryPool.attach(leaver, node).newReservation("leaver's work").trySetBytes(40 * MIB);
      awaitEquals(40 * MIB, home::reservedBytes, "home sees the leaver's holding");
      assertThrows(IllegalStateException.class, () -> HazelcastMemoryPool.create(b, leaverNode, MIB));
      leaver.shutdown();
      awaitEquals(0, home::reservedBytes, "the leaver's bytes are back");
      // Holdings and the leaver's own entry are dropped by separate processors: wait for both.
      awaitEquals(0, () -> HazelcastMemoryPool.usage(b, leaverNode).isPresent() ? 1 : 0, "the leaver's pool is gone");
      awaitEquals(0, () -> HazelcastMemoryPool.usages(c).stream().filter(u -> u.node().equals(leaverNode)).count(),
          "no member lists the leaver's pool");
    }
  }

  /**
   * Verifies that a home pool whose entry was dropped while its member lived (as the others do for a
   * member they took for dead) records its open reservations again on its next change, so nothing it
   * holds goes uncounted.
   */
  @Test
  void droppedEntryIsRecordedAgain() throws Exception {
    String node = node();
    try (HazelcastMemoryPool home = HazelcastMemoryPool.create(a, node, 100 * MIB);
         Reservation resident = home.newReservation("resident copy");
         Reservation task = home.newReservation("chunk task")) {
      assertTrue(resident.trySetBytes(60 * MIB));
      b.getMap(HazelcastMemoryPool.MAP).delete(node);
      assertTrue(HazelcastMemoryPool.usage(c, node).isEmpty());
      assertFalse(task.trySetBytes(50 * MIB), "the resident copy's 60 MiB still count");
      assertEquals(60 * MIB, HazelcastMemoryPool.usage(c, node).orElseThrow().reservedBytes());
      assertTrue(task.trySetBytes(40 * MIB));
      assertEquals(100 * MIB, HazelcastMemoryPool.usage(c, node).orElseThrow().reservedBytes());
    }
  }

  /**
   * Verifies that two pool objects of one member on one pool (the home pool and a handle attached to it)
   * keep their reservations apart: each closes only its own.
   */
  @Test
  void twoPoolObjectsOfOneMemberKeepTheirReservationsApart() {
    String node = node();
    try (HazelcastMemoryPool home = HazelcastMemoryPool.create(a, node, 100 * MIB);
         HazelcastMemoryPool again = HazelcastMemoryPool.attach(a, node)) {
      Reservation first = home.newReservation("first");
      Reservation second = again.newReservation("second");
      assertTrue(first.trySetBytes(30 * MIB));
      assertTrue(second.trySetBytes(20 * MIB));
      assertEquals(50 * MIB, HazelcastMemoryPool.usage(b, node).orElseThrow().reservedBytes());
      second.close();
      assertEquals(Map.of("first", 30 * MIB), home.reservationsByHolder());
      first.close();
      assertEquals(0, HazelcastMemoryPool.usage(b, node).orElseThrow().reservedBytes());
    }
  }

  /** Verifies that attaching to a node without a pool is NOT_FOUND and a request beyond the pool fails at once. */
  @Test
  void unknownNodeAndImpossibleRequest() {
    LabelFlightException missing = assertThrows(LabelFlightException.class,
        () -> HazelcastMemoryPool.attach(a, "no-such-node"));
    assertEquals(LabelFlightException.Kind.NOT_FOUND, missing.kind());
    try (HazelcastMemoryPool pool = HazelcastMemoryPool.create(c, node(), MIB);
         Reservation r = pool.newReservation("r")) {
      LabelFlightException e = assertThrows(LabelFlightException.class, () -> r.trySetBytes(MIB + 1));
      assertEquals(LabelFlightException.Kind.RESOURCE_EXHAUSTED, e.kind());
      assertTrue(r.setBytes(2 * MIB, Duration.ofSeconds(1)).isCompletedExceptionally());
    }
  }
}
