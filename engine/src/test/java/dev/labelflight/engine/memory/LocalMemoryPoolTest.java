package dev.labelflight.engine.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LocalMemoryPoolTest {

  /** Verifies that growth is all-or-nothing and that shrinking and closing give bytes back. */
  @Test
  void trySetBytesIsAllOrNothing() {
    MemoryPool pool = new LocalMemoryPool("node", 100);
    try (Reservation a = pool.newReservation("a"); Reservation b = pool.newReservation("b")) {
      assertTrue(a.trySetBytes(70));
      assertFalse(b.trySetBytes(40), "40 more does not fit in 30 free");
      assertEquals(0, b.bytes(), "a refused growth holds nothing");
      assertEquals(70, pool.reservedBytes());
      assertTrue(a.trySetBytes(50));
      assertTrue(b.trySetBytes(40));
      assertEquals(90, pool.reservedBytes());
    }
    assertEquals(0, pool.reservedBytes());
    assertTrue(pool.reservationsByHolder().isEmpty());
  }

  /** Verifies that waiters are served in arrival order when bytes come back. */
  @Test
  void waitersServedInOrder() throws Exception {
    MemoryPool pool = new LocalMemoryPool("node", 100);
    Reservation a = pool.newReservation("a");
    a.trySetBytes(80);
    Reservation b = pool.newReservation("b");
    Reservation c = pool.newReservation("c");
    CompletableFuture<Void> fb = b.setBytes(50, Duration.ofSeconds(30));
    CompletableFuture<Void> fc = c.setBytes(10, Duration.ofSeconds(30));
    assertFalse(fb.isDone());
    assertFalse(fc.isDone(), "c must not overtake b");
    Reservation d = pool.newReservation("d");
    assertFalse(d.trySetBytes(5), "trySetBytes must not overtake waiters");
    a.close();
    fb.get(5, TimeUnit.SECONDS);
    fc.get(5, TimeUnit.SECONDS);
    assertEquals(60, pool.reservedBytes());
    b.close();
    c.close();
    d.close();
    assertEquals(0, pool.reservedBytes());
  }

  /** Verifies that a wait is bounded: it fails with RESOURCE_EXHAUSTED naming the bytes, holding nothing new. */
  @Test
  void waitIsBounded() {
    MemoryPool pool = new LocalMemoryPool("node", 100 << 20);
    try (Reservation a = pool.newReservation("a"); Reservation b = pool.newReservation("b")) {
      a.trySetBytes(90 << 20);
      b.trySetBytes(1 << 20);
      CompletableFuture<Void> f = b.setBytes(20 << 20, Duration.ofMillis(50));
      ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
      LabelFlightException cause = (LabelFlightException) e.getCause();
      assertEquals(LabelFlightException.Kind.RESOURCE_EXHAUSTED, cause.kind());
      assertTrue(cause.getMessage().contains("19 MiB more"), cause.getMessage());
      assertTrue(cause.getMessage().contains("9 MiB of 100 MiB"), cause.getMessage());
      assertEquals(1 << 20, b.bytes());
    }
    assertEquals(0, pool.reservedBytes());
  }

  /** Verifies that a waiting reservation that is closed ends its wait with CANCELLED and frees the queue. */
  @Test
  void closingEndsTheWait() throws Exception {
    MemoryPool pool = new LocalMemoryPool("node", 100);
    Reservation a = pool.newReservation("a");
    a.trySetBytes(100);
    Reservation b = pool.newReservation("b");
    CompletableFuture<Void> fb = b.setBytes(60, Duration.ofMinutes(5));
    Reservation c = pool.newReservation("c");
    CompletableFuture<Void> fc = c.setBytes(10, Duration.ofMinutes(5));
    b.close();
    ExecutionException e = assertThrows(ExecutionException.class, () -> fb.get(5, TimeUnit.SECONDS));
    assertEquals(LabelFlightException.Kind.CANCELLED, ((LabelFlightException) e.getCause()).kind());
    a.trySetBytes(50);
    fc.get(5, TimeUnit.SECONDS);
    assertEquals(60, pool.reservedBytes());
    a.close();
    c.close();
    assertEquals(0, pool.reservedBytes());
    assertThrows(LabelFlightException.class, () -> b.trySetBytes(1), "a closed reservation cannot grow");
  }

  /** Verifies that a request larger than the pool fails at once. */
  @Test
  void impossibleRequestFailsAtOnce() {
    MemoryPool pool = new LocalMemoryPool("node", 100);
    try (Reservation a = pool.newReservation("a")) {
      LabelFlightException e = assertThrows(LabelFlightException.class, () -> a.trySetBytes(101));
      assertEquals(LabelFlightException.Kind.RESOURCE_EXHAUSTED, e.kind());
      assertTrue(a.setBytes(101, Duration.ofSeconds(1)).isCompletedExceptionally());
    }
  }
}
