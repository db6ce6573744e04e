package dev.labelflight.verticles.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.apply.ExecutionMode;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.verticles.OnContext;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.job.Job;
import dev.labelflight.verticles.job.JobRegistry;
import dev.labelflight.verticles.job.JobState;
import dev.labelflight.verticles.job.Jobs;
import dev.labelflight.verticles.node.JobTokens;
import dev.labelflight.verticles.worker.ChunkOutcome;
import dev.labelflight.verticles.worker.ChunkReport;
import dev.labelflight.verticles.worker.ChunkTask;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The task dispatcher in process, with workers that are bus consumers standing in for chunk workers (no
 * data, no LFs): fairness across users, retry when a worker is gone, hand-back, and a cancel that ends
 * only once the running chunk returned, with the worker given back.
 */
@ExtendWith(VertxExtension.class)
class TaskDispatcherTest {
  private final JobTokens tokens = new JobTokens();
  private final List<String> order = new CopyOnWriteArrayList<>();

  private record Parts(JobRegistry registry, TaskDispatcher dispatcher) {}

  private Parts parts(Vertx vertx, OnContext on) throws Exception {
    return on.call(() -> {
      JobRegistry registry = new JobRegistry(vertx, tokens, new JobRegistry.Settings(10, 0, 0, 10_000), id -> { },
          nanos -> { });
      return new Parts(registry, new TaskDispatcher(vertx, registry, 10_000));
    });
  }

  private Job admitted(OnContext on, Parts parts, String id, String user, int chunks) throws Exception {
    Job job = Jobs.job(id, user, chunks, ExecutionMode.QUEUE, tokens.open(id));
    on.run(() -> parts.registry().admit(job));
    return job;
  }

  private static JsonObject done(ChunkTask task) {
    return ChunkOutcome.done(new ChunkReport(task.job(), task.chunk(), 10, 100, 0, 0, new int[0], Map.of(), 0, "w"))
        .toJson();
  }

  /** A worker that answers every task at once and then announces room again. */
  private void quickWorker(Vertx vertx, OnContext on, TaskDispatcher dispatcher, String id) throws Exception {
    OnContext.await(vertx.eventBus().<JsonObject>localConsumer(Addresses.worker(id), m -> {
      ChunkTask task = ChunkTask.fromJson(m.body());
      order.add(task.job() + ":" + task.chunk());
      m.reply(done(task));
      on.post(() -> dispatcher.workerReady(id));
    }).completion());
  }

  private static void awaitState(Vertx vertx, OnContext on, Job job, JobState state) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (on.call(job::state) != state) {
      assertTrue(System.nanoTime() < deadline, job.id() + " is " + on.call(job::state) + ", not " + state);
      OnContext.pause(vertx, 5);
    }
  }

  /** Verifies that one worker serves a small job of another user right after the big job's first chunk. */
  @Test
  void tasksAlternateBetweenUsers(Vertx vertx) throws Exception {
    OnContext on = new OnContext(vertx);
    Parts parts = parts(vertx, on);
    Job big = admitted(on, parts, "big", "ann", 6);
    Job small = admitted(on, parts, "small", "bob", 1);
    on.run(() -> parts.dispatcher().enqueue(big));
    on.run(() -> parts.dispatcher().enqueue(small));
    quickWorker(vertx, on, parts.dispatcher(), "w1");
    on.run(() -> parts.dispatcher().workerReady("w1"));
    awaitState(vertx, on, big, JobState.SUCCEEDED);
    assertEquals(JobState.SUCCEEDED, on.call(small::state));
    assertEquals(List.of("big:0", "small:0", "big:1", "big:2", "big:3", "big:4", "big:5"), order);
  }

  /** Verifies that a task sent to a worker that went away (NO_HANDLERS) is run by another one. */
  @Test
  void aTaskWhoseWorkerIsGoneRunsOnAnother(Vertx vertx) throws Exception {
    OnContext on = new OnContext(vertx);
    Parts parts = parts(vertx, on);
    Job job = admitted(on, parts, "j", "ann", 3);
    quickWorker(vertx, on, parts.dispatcher(), "w1");
    on.run(() -> parts.dispatcher().workerReady("ghost"));
    on.run(() -> parts.dispatcher().enqueue(job));
    on.run(() -> parts.dispatcher().workerReady("w1"));
    awaitState(vertx, on, job, JobState.SUCCEEDED);
    assertEquals(3, on.call(job::chunksDone));
    assertEquals(0, on.call(() -> parts.dispatcher().inFlight()));
  }

  /** Verifies that a task a worker hands back (no memory in time) goes to the front and the job still succeeds. */
  @Test
  void aHandedBackTaskRunsAgain(Vertx vertx) throws Exception {
    OnContext on = new OnContext(vertx);
    Parts parts = parts(vertx, on);
    Job job = admitted(on, parts, "j", "ann", 2);
    AtomicBoolean first = new AtomicBoolean(true);
    OnContext.await(vertx.eventBus().<JsonObject>localConsumer(Addresses.worker("w1"), m -> {
      ChunkTask task = ChunkTask.fromJson(m.body());
      order.add(task.job() + ":" + task.chunk());
      m.reply(first.getAndSet(false) ? ChunkOutcome.handedBack(task.job(), task.chunk(), "no memory").toJson()
          : done(task));
      on.post(() -> parts.dispatcher().workerReady("w1"));
    }).completion());
    on.run(() -> parts.dispatcher().enqueue(job));
    on.run(() -> parts.dispatcher().workerReady("w1"));
    awaitState(vertx, on, job, JobState.SUCCEEDED);
    assertEquals(List.of("j:0", "j:0", "j:1"), order);
  }

  /**
   * Verifies the cancel plumbing: the running chunk (a loop that checks the job's token, as evaluators
   * do, bound to its thread the way the chunk worker binds it) stops, the cancel answers CANCELLED only
   * after it returned, the job's other chunks are never handed out, and the worker is given back.
   */
  @Test
  void cancelAnswersOnceTheRunningChunkStoppedAndTheWorkerIsBack(Vertx vertx) throws Exception {
    OnContext on = new OnContext(vertx);
    Parts parts = parts(vertx, on);
    Job job = admitted(on, parts, "j", "ann", 5);
    CountDownLatch running = new CountDownLatch(1);
    AtomicBoolean returned = new AtomicBoolean();
    OnContext.await(vertx.eventBus().<JsonObject>localConsumer(Addresses.worker("w1"), m -> {
      ChunkTask task = ChunkTask.fromJson(m.body());
      order.add(task.job() + ":" + task.chunk());
      vertx.executeBlocking(() -> {
        CancelToken token = tokens.open(task.job());
        try {
          return token.within(() -> {
            running.countDown();
            while (true) {
              CancelToken.check();
              Thread.onSpinWait();
            }
          });
        } finally {
          tokens.close(task.job());
          returned.set(true);
        }
      }, false).onComplete(ar -> {
        BusErrors.fail(m, ar.cause());
        order.add("ready");
        on.post(() -> parts.dispatcher().workerReady("w1"));
      });
    }).completion());
    on.run(() -> parts.dispatcher().enqueue(job));
    on.run(() -> parts.dispatcher().workerReady("w1"));
    assertTrue(running.await(10, TimeUnit.SECONDS));
    Future<JsonObject> cancelled = on.call(() -> parts.registry().cancel(job));
    JsonObject status = OnContext.await(cancelled);
    assertTrue(returned.get(), "answered only after the chunk returned");
    assertEquals("CANCELLED", status.getString("state"), status.encode());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!on.call(() -> parts.dispatcher().hasIdleWorkers()) && System.nanoTime() < deadline) {
      OnContext.pause(vertx, 5);
    }
    assertTrue(on.call(() -> parts.dispatcher().hasIdleWorkers()), "the worker is given back");
    assertEquals(List.of("j:0", "ready"), order, "no other chunk of the job ran");
    assertEquals(0, on.call(() -> parts.dispatcher().inFlight()));
    assertFalse(on.call(() -> parts.dispatcher().hasQueued()));
  }
}
