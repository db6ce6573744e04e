package dev.labelflight.verticles.resident;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.memory.LocalMemoryPool;
import dev.labelflight.engine.memory.Reservation;
import dev.labelflight.engine.store.ChunkSource;
import dev.labelflight.engine.store.DatasetRef;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.OnContext;
import dev.labelflight.verticles.job.Jobs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The resident pool in process, with a loader that loads nothing (its copies only hold their reservations). */
@ExtendWith(VertxExtension.class)
class ResidentPoolTest {
  private static final long MIB = 1 << 20;
  private static final ChunkSource NO_CHUNKS = (m, i, a) -> {
    throw new IllegalStateException("not read");
  };

  private final AtomicLong clock = new AtomicLong(1_000);
  private final List<String> unloaded = new ArrayList<>();
  private LocalMemoryPool memory;
  private OnContext on;

  /** Copies that are ready at once and give their reservation back when unloaded, as the verticle does. */
  private final ResidentPool.CopyLoader loader = (manifest, reservation, source) -> new ResidentPool.CopyHandle() {
    @Override
    public Future<String> loaded() {
      return Future.succeededFuture("copy of " + manifest.name());
    }

    @Override
    public Future<Void> unload() {
      unloaded.add(manifest.name());
      reservation.close();
      return Future.succeededFuture();
    }
  };

  @BeforeEach
  void start(Vertx vertx) {
    memory = new LocalMemoryPool("test", 100 * MIB);
    on = new OnContext(vertx);
  }

  private ResidentPool pool(Vertx vertx, Duration admissionWait) throws Exception {
    return on.call(() -> new ResidentPool(vertx, memory, loader, admissionWait, 60_000, clock::get));
  }

  private static Manifest dataset(String name) {
    return Jobs.manifest(name, 2);
  }

  /**
   * Verifies that a copy that does not fit is refused within the admission wait with RESOURCE_EXHAUSTED
   * naming the MiB it needs and the MiB free, and that nothing of it was held meanwhile (all or nothing).
   */
  @Test
  void admissionIsBoundedAndAllOrNothing(Vertx vertx) throws Exception {
    ResidentPool pool = pool(vertx, Duration.ofMillis(300));
    Reservation other = memory.newReservation("other work");
    assertTrue(other.trySetBytes(60 * MIB));
    long started = System.nanoTime();
    Future<ResidentPool.ResidentCopy> copy = on.call(() -> pool.load(dataset("big"), 50 * MIB, NO_CHUNKS, "job 1"));
    assertEquals(CopyState.LOADING, on.call(() -> pool.state(new DatasetRef("big", 1))));
    assertEquals(60 * MIB, memory.reservedBytes(), "nothing is held while the copy waits");
    ExecutionException failed = assertThrows(ExecutionException.class, () -> OnContext.await(copy));
    long waitedMs = (System.nanoTime() - started) / 1_000_000;
    LabelFlightException e = assertInstanceOf(LabelFlightException.class, failed.getCause());
    assertEquals(LabelFlightException.Kind.RESOURCE_EXHAUSTED, e.kind());
    assertTrue(e.getMessage().contains("needs 50 MiB") && e.getMessage().contains("only 40 MiB of 100 MiB were free"),
        e.getMessage());
    assertTrue(waitedMs >= 250 && waitedMs < 5_000, "waited " + waitedMs + " ms for a 300 ms bound");
    assertEquals(60 * MIB, memory.reservedBytes());
    assertEquals(CopyState.NONE, on.call(() -> pool.state(new DatasetRef("big", 1))));
    other.close();
    assertEquals(0, memory.reservedBytes());
  }

  /**
   * Verifies that a copy waiting for memory is admitted once the memory comes free within the wait, and
   * that it then holds exactly its bytes.
   */
  @Test
  void waitingCopyIsAdmittedWhenMemoryComesFree(Vertx vertx) throws Exception {
    ResidentPool pool = pool(vertx, Duration.ofSeconds(10));
    Reservation other = memory.newReservation("other work");
    assertTrue(other.trySetBytes(80 * MIB));
    Future<ResidentPool.ResidentCopy> copy = on.call(() -> pool.load(dataset("d"), 50 * MIB, NO_CHUNKS, "job 1"));
    other.close();
    assertEquals("copy of d", OnContext.await(copy).address());
    assertEquals(50 * MIB, memory.reservedBytes());
  }

  /** Verifies that a job that stops waiting (cancelled) ends the admission nobody waits for any more, holding nothing. */
  @Test
  void cancelWhileWaitingEndsTheAdmission(Vertx vertx) throws Exception {
    ResidentPool pool = pool(vertx, Duration.ofSeconds(30));
    Reservation other = memory.newReservation("other work");
    assertTrue(other.trySetBytes(80 * MIB));
    DatasetRef ref = new DatasetRef("d", 1);
    Future<ResidentPool.ResidentCopy> first = on.call(() -> pool.load(dataset("d"), 50 * MIB, NO_CHUNKS, "job 1"));
    Future<ResidentPool.ResidentCopy> second = on.call(() -> pool.whenReady(ref, "job 2"));
    on.run(() -> pool.leave(ref, "job 1"));
    ExecutionException cancelled = assertThrows(ExecutionException.class, () -> OnContext.await(first));
    assertEquals(LabelFlightException.Kind.CANCELLED, ((LabelFlightException) cancelled.getCause()).kind());
    assertFalse(second.isComplete(), "another job still waits, so the admission goes on");
    long started = System.nanoTime();
    on.run(() -> pool.leave(ref, "job 2"));
    assertThrows(ExecutionException.class, () -> OnContext.await(second));
    // The admission notices within a few tens of ms and gives up.
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (on.call(() -> pool.state(ref)) != CopyState.NONE && System.nanoTime() < deadline) {
      OnContext.pause(vertx, 10);
    }
    assertEquals(CopyState.NONE, on.call(() -> pool.state(ref)));
    assertTrue(System.nanoTime() - started < 2_000_000_000L, "stopped well before its 30 s bound");
    assertEquals(80 * MIB, memory.reservedBytes(), "nothing held for the abandoned copy");
    other.close();
  }

  /**
   * Verifies that a copy that needs memory evicts idle copies least recently used first, never one a job
   * runs on, and only as many as needed; and that an idle copy goes after its TTL.
   */
  @Test
  void evictsLeastRecentlyUsedIdleCopiesThenByTtl(Vertx vertx) throws Exception {
    ResidentPool pool = pool(vertx, Duration.ofSeconds(5));
    for (String name : List.of("a", "b", "c")) {
      clock.incrementAndGet();
      OnContext.await(on.call(() -> pool.load(dataset(name), 30 * MIB, NO_CHUNKS, "job " + name)));
    }
    assertEquals(90 * MIB, memory.reservedBytes());
    // "a" is used last; "b" runs a job now: "c" is the least recently used idle copy.
    clock.incrementAndGet();
    ResidentPool.ResidentCopy a = on.call(() -> pool.ready(new DatasetRef("a", 1)));
    on.run(() -> pool.use(a));
    on.run(() -> pool.done(a));
    ResidentPool.ResidentCopy b = on.call(() -> pool.ready(new DatasetRef("b", 1)));
    on.run(() -> pool.use(b));
    clock.incrementAndGet();
    OnContext.await(on.call(() -> pool.load(dataset("d"), 30 * MIB, NO_CHUNKS, "job d")));
    assertEquals(List.of("c"), unloaded, "only the least recently used idle copy went");
    assertEquals(90 * MIB, memory.reservedBytes());
    assertEquals(1, on.call(pool::activeJobs));

    clock.addAndGet(60_000);
    on.run(pool::evictIdle);
    assertEquals(3, unloaded.size(), unloaded.toString());
    assertTrue(unloaded.containsAll(List.of("a", "d")) && !unloaded.contains("b"), "a and d idle past the TTL: "
        + unloaded);
    assertEquals(30 * MIB, memory.reservedBytes(), "only the copy a job runs on is left");
    on.run(() -> pool.done(b));
    OnContext.await(on.call(pool::stop));
    assertEquals(0, memory.reservedBytes());
  }

  /** Verifies that a copy for next time is loaded only if it and a job's label arrays beside it are free now. */
  @Test
  void copyForNextTimeNeedsRoomForLabelsToo(Vertx vertx) throws Exception {
    ResidentPool pool = pool(vertx, Duration.ofSeconds(5));
    assertFalse(OnContext.await(on.call(() -> pool.loadIfFree(dataset("x"), 90 * MIB, 20 * MIB, NO_CHUNKS))));
    assertEquals(0, memory.reservedBytes());
    assertTrue(OnContext.await(on.call(() -> pool.loadIfFree(dataset("x"), 70 * MIB, 20 * MIB, NO_CHUNKS))));
    assertEquals(70 * MIB, memory.reservedBytes(), "the copy holds its own bytes only");
    OnContext.await(on.call(() -> pool.whenReady(new DatasetRef("x", 1), "job")));
    OnContext.await(on.call(() -> pool.drop("x")));
    assertEquals(0, memory.reservedBytes());
  }
}
