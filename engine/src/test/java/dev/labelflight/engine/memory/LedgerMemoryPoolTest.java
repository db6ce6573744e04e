package dev.labelflight.engine.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The admission core that the in-process and the cluster pools share, over ledgers that behave like a
 * shared one: several pool objects (standing for processes) record into one account, a ledger can
 * become unreachable, and bytes come back without the pool having freed them.
 */
class LedgerMemoryPoolTest {
  private final ExecutorService serving = Executors.newSingleThreadExecutor();

  @AfterEach
  void stop() {
    serving.shutdownNow();
  }

  /** One account that several pools write to; each pool's reservation ids are kept apart. */
  private static final class SharedLedger {
    final InProcessLedger account;

    SharedLedger(long maxBytes) {
      account = new InProcessLedger(maxBytes);
    }

    MemoryLedger forProcess(int process) {
      long base = (long) process << 40;
      return new MemoryLedger() {
        @Override
        public long maxBytes() {
          return account.maxBytes();
        }

        @Override
        public long reservedBytes() {
          return account.reservedBytes();
        }

        @Override
        public boolean tryGrow(long id, String holder, long bytes) {
          return account.tryGrow(base + id, holder, bytes);
        }

        @Override
        public void shrink(long id, String holder, long bytes) {
          account.shrink(base + id, holder, bytes);
        }

        @Override
        public Map<String, Long> bytesByHolder() {
          return account.bytesByHolder();
        }
      };
    }
  }

  /** A pool that learns of changes made by others only through {@link #ledgerChanged}, as the cluster pool does. */
  private static final class Process extends LedgerMemoryPool {
    Process(String name, MemoryLedger ledger, java.util.concurrent.Executor serving) {
      super(name, ledger, serving);
    }

    void changedElsewhere() {
      ledgerChanged();
    }

    void stop(String why) {
      shutDown(new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE, why));
    }
  }

  /**
   * Verifies that a waiter is admitted when another process frees the bytes it waits for, once the pool
   * hears that the ledger changed, and that both processes see the same account.
   */
  @Test
  void waiterServedWhenAnotherProcessFrees() throws Exception {
    SharedLedger ledger = new SharedLedger(100);
    Process a = new Process("node", ledger.forProcess(1), serving);
    Process b = new Process("node", ledger.forProcess(2), serving);
    Reservation other = b.newReservation("other process");
    assertTrue(other.trySetBytes(90));
    assertEquals(90, a.reservedBytes(), "a process sees the other's holdings");
    assertEquals(Map.of("other process", 90L), a.reservationsByHolder());
    try (Reservation mine = a.newReservation("mine")) {
      CompletableFuture<Void> wait = mine.setBytes(50, Duration.ofSeconds(30));
      other.close();
      assertFalse(wait.isDone(), "a does not know yet that b freed the bytes");
      a.changedElsewhere();
      wait.get(5, TimeUnit.SECONDS);
      assertEquals(50, mine.bytes());
      assertEquals(50, b.reservedBytes());
    }
    assertEquals(0, ledger.account.reservedBytes());
  }

  /**
   * Verifies that waiters keep their arrival order when bytes come back from elsewhere, and that a new
   * request never overtakes a waiter.
   */
  @Test
  void orderKeptWhenBytesComeBackFromElsewhere() throws Exception {
    SharedLedger ledger = new SharedLedger(100);
    Process a = new Process("node", ledger.forProcess(1), serving);
    Process b = new Process("node", ledger.forProcess(2), serving);
    Reservation other = b.newReservation("other");
    other.trySetBytes(100);
    Reservation big = a.newReservation("big");
    Reservation small = a.newReservation("small");
    CompletableFuture<Void> bigWait = big.setBytes(60, Duration.ofSeconds(30));
    CompletableFuture<Void> smallWait = small.setBytes(10, Duration.ofSeconds(30));
    other.trySetBytes(50);
    a.changedElsewhere();
    assertFalse(a.newReservation("late").trySetBytes(1), "no overtaking of waiters");
    // 50 free: the head needs 60, so the small one behind it waits too.
    assertFalse(bigWait.isDone());
    assertFalse(smallWait.isDone());
    other.close();
    a.changedElsewhere();
    bigWait.get(5, TimeUnit.SECONDS);
    smallWait.get(5, TimeUnit.SECONDS);
    big.close();
    small.close();
    assertEquals(0, ledger.account.reservedBytes());
  }

  /**
   * Verifies that an unreachable ledger fails a growth with UNAVAILABLE, holding what was held, and that
   * closing never throws even then.
   */
  @Test
  void unreachableLedgerFailsGrowthButNotClose() throws Exception {
    AtomicBoolean reachable = new AtomicBoolean(true);
    InProcessLedger account = new InProcessLedger(100);
    MemoryLedger flaky = new MemoryLedger() {
      @Override
      public long maxBytes() {
        return account.maxBytes();
      }

      @Override
      public long reservedBytes() {
        return account.reservedBytes();
      }

      @Override
      public boolean tryGrow(long id, String holder, long bytes) {
        check();
        return account.tryGrow(id, holder, bytes);
      }

      @Override
      public void shrink(long id, String holder, long bytes) {
        check();
        account.shrink(id, holder, bytes);
      }

      @Override
      public Map<String, Long> bytesByHolder() {
        check();
        return account.bytesByHolder();
      }

      private void check() {
        if (!reachable.get()) {
          throw new IllegalStateException("Hazelcast instance is not active");
        }
      }
    };
    Process pool = new Process("node", flaky, serving);
    Reservation r = pool.newReservation("r");
    assertTrue(r.trySetBytes(10));
    reachable.set(false);
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> r.setBytes(20, Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS));
    LabelFlightException cause = (LabelFlightException) e.getCause();
    assertEquals(LabelFlightException.Kind.UNAVAILABLE, cause.kind());
    assertTrue(cause.getMessage().contains("not active"), cause.getMessage());
    assertEquals(10, r.bytes(), "a failed growth holds what it held");
    assertEquals(LabelFlightException.Kind.UNAVAILABLE,
        assertThrows(LabelFlightException.class, () -> r.trySetBytes(30)).kind());
    r.close();
    assertTrue(r.isClosed());
    assertEquals(0, r.bytes());
  }

  /** Verifies that a waiter whose growth meets an unreachable ledger fails instead of waiting forever. */
  @Test
  void waiterFailsWhenLedgerBecomesUnreachable() throws Exception {
    AtomicBoolean reachable = new AtomicBoolean(true);
    SharedLedger shared = new SharedLedger(100);
    MemoryLedger inner = shared.forProcess(1);
    MemoryLedger flaky = new MemoryLedger() {
      @Override
      public long maxBytes() {
        return inner.maxBytes();
      }

      @Override
      public long reservedBytes() {
        return inner.reservedBytes();
      }

      @Override
      public boolean tryGrow(long id, String holder, long bytes) {
        if (!reachable.get()) {
          throw new IllegalStateException("gone");
        }
        return inner.tryGrow(id, holder, bytes);
      }

      @Override
      public void shrink(long id, String holder, long bytes) {
        inner.shrink(id, holder, bytes);
      }

      @Override
      public Map<String, Long> bytesByHolder() {
        return inner.bytesByHolder();
      }
    };
    Process pool = new Process("node", flaky, serving);
    Reservation full = new Process("node", shared.forProcess(2), serving).newReservation("full");
    full.trySetBytes(100);
    Reservation r = pool.newReservation("r");
    CompletableFuture<Void> wait = r.setBytes(10, Duration.ofSeconds(30));
    reachable.set(false);
    pool.changedElsewhere();
    ExecutionException e = assertThrows(ExecutionException.class, () -> wait.get(5, TimeUnit.SECONDS));
    assertEquals(LabelFlightException.Kind.UNAVAILABLE, ((LabelFlightException) e.getCause()).kind());
    assertEquals(0, pool.waiting());
    r.close();
    full.close();
  }

  /** Verifies that shutting a pool down fails its waiters and later growth with the reason given, but not closing. */
  @Test
  void shutDownFailsWaitersAndGrowth() throws Exception {
    Process pool = new Process("node", new InProcessLedger(100), serving);
    Reservation a = pool.newReservation("a");
    a.trySetBytes(100);
    Reservation b = pool.newReservation("b");
    CompletableFuture<Void> wait = b.setBytes(10, Duration.ofMinutes(5));
    pool.stop("node is shutting down");
    ExecutionException e = assertThrows(ExecutionException.class, () -> wait.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("shutting down"));
    LabelFlightException later = assertThrows(LabelFlightException.class, () -> b.trySetBytes(1));
    assertEquals(LabelFlightException.Kind.UNAVAILABLE, later.kind());
    assertTrue(a.trySetBytes(50), "shrinking still works");
    a.close();
    b.close();
    assertEquals(0, pool.reservedBytes());
  }

  /** Verifies that a wait's RESOURCE_EXHAUSTED counts what other processes hold as taken. */
  @Test
  void timeoutMessageCountsOtherProcesses() {
    SharedLedger ledger = new SharedLedger(100L << 20);
    Process a = new Process("node-a", ledger.forProcess(1), serving);
    Reservation other = new Process("node-a", ledger.forProcess(2), serving).newReservation("other");
    other.trySetBytes(70L << 20);
    try (Reservation r = a.newReservation("r")) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> r.setBytes(40L << 20, Duration.ofMillis(20)).get(5, TimeUnit.SECONDS));
      String message = e.getCause().getMessage();
      assertTrue(message.contains("needs 40 MiB more of the memory budget of node-a"), message);
      assertTrue(message.contains("only 30 MiB of 100 MiB"), message);
      assertEquals(40L << 20, ((LabelFlightException) e.getCause()).details().get(LabelFlightException.Detail.REQUESTED));
    }
    other.close();
  }

  /**
   * Verifies under contention (threads growing, shrinking, waiting with short bounds, closing) that the
   * account never passes the pool's size, that no byte is lost or left, and that every wait ends.
   */
  @Test
  void contentionNeitherOvercommitsNorLeaks() throws Exception {
    long max = 1_000;
    AtomicLong peak = new AtomicLong();
    InProcessLedger account = new InProcessLedger(max);
    MemoryLedger watched = new MemoryLedger() {
      @Override
      public long maxBytes() {
        return max;
      }

      @Override
      public long reservedBytes() {
        return account.reservedBytes();
      }

      @Override
      public boolean tryGrow(long id, String holder, long bytes) {
        boolean ok = account.tryGrow(id, holder, bytes);
        peak.accumulateAndGet(account.reservedBytes(), Math::max);
        return ok;
      }

      @Override
      public void shrink(long id, String holder, long bytes) {
        account.shrink(id, holder, bytes);
      }

      @Override
      public Map<String, Long> bytesByHolder() {
        return account.bytesByHolder();
      }
    };
    Process pool = new Process("node", watched, serving);
    // Each thread keeps 200 bytes throughout, so only 200 are left to share: requests of up to 400 must
    // wait or be refused whatever the threads' timing.
    List<Reservation> bases = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Reservation base = pool.newReservation("base " + t);
      assertTrue(base.trySetBytes(200));
      bases.add(base);
    }
    AtomicLong refused = new AtomicLong();
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int seed = t;
        runs.add(threads.submit(() -> {
          Random random = new Random(seed);
          for (int i = 0; i < 2_000; i++) {
            Reservation r = pool.newReservation("t" + seed);
            try {
              long want = 1 + random.nextInt(400);
              if (random.nextBoolean()) {
                if (!r.trySetBytes(want)) {
                  refused.incrementAndGet();
                }
              } else {
                try {
                  r.setBytes(want, Duration.ofMillis(random.nextInt(3))).get(5, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                  assertEquals(LabelFlightException.Kind.RESOURCE_EXHAUSTED, ((LabelFlightException) e.getCause()).kind());
                  refused.incrementAndGet();
                }
              }
              if (r.bytes() > 1 && random.nextBoolean()) {
                assertTrue(r.trySetBytes(r.bytes() / 2), "shrinking always succeeds");
              }
            } finally {
              r.close();
            }
          }
          return null;
        }));
      }
      for (Future<?> run : runs) {
        run.get(30, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
    assertTrue(peak.get() <= max, "peak " + peak.get());
    assertTrue(refused.get() > 0, "the test did contend");
    assertEquals(800, account.reservedBytes(), "only the threads' base reservations are left");
    bases.forEach(Reservation::close);
    assertEquals(0, account.reservedBytes(), "every byte back");
    assertTrue(account.bytesByHolder().isEmpty());
    assertEquals(0, pool.waiting());
  }
}
