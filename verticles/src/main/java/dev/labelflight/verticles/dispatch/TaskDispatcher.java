package dev.labelflight.verticles.dispatch;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.bus.LocalDelivery;
import dev.labelflight.verticles.job.Job;
import dev.labelflight.verticles.job.JobRegistry;
import dev.labelflight.verticles.worker.ChunkOutcome;
import dev.labelflight.verticles.worker.ChunkTask;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Hands chunk tasks of queued jobs to this node's chunk workers, each time one announces room
 * (credit-based pull: nothing is sent to a busy worker), in the fair order of a {@link FairQueue}: across
 * users, then across each user's jobs. A task whose worker went away (NO_HANDLERS) or that a worker handed
 * back (no memory within its wait) goes to the front of the queue again; a chunk that failed fails its job
 * (through the {@link JobRegistry}, which stops the job's other chunks). Every task counts as work of its
 * job while it runs. When tasks wait and no worker is idle it says so ({@link #onBacklog}); when workers
 * are idle and nothing waits ({@link #onIdle}), the chunk lending may borrow tasks of other nodes for them.
 *
 * <p>Event-loop only (the coordinator's context).
 */
public final class TaskDispatcher {
  private final Vertx vertx;
  private final JobRegistry registry;
  private final long taskTimeoutMs;
  private final LinkedHashSet<String> idleWorkers = new LinkedHashSet<>();
  private final FairQueue queue = new FairQueue();
  private Runnable onBacklog = () -> { };
  private Runnable onIdle = () -> { };
  private Runnable onTaskEnded = () -> { };
  private int inFlight;
  private boolean draining;

  public TaskDispatcher(Vertx vertx, JobRegistry registry, long taskTimeoutMs) {
    this.vertx = vertx;
    this.registry = registry;
    this.taskTimeoutMs = taskTimeoutMs;
  }

  /** Runs when tasks wait and no local worker is idle (the lending announces work then). */
  public void onBacklog(Runnable listener) {
    this.onBacklog = listener;
  }

  /** Runs when workers are idle and no task waits here (the lending borrows then). */
  public void onIdle(Runnable listener) {
    this.onIdle = listener;
  }

  /** Runs after every task a worker ran ended (the drain checks then). */
  public void onTaskEnded(Runnable listener) {
    this.onTaskEnded = listener;
  }

  /** A worker has room for one task. */
  public void workerReady(String worker) {
    idleWorkers.add(worker);
    dispatch();
  }

  /** Queues the job's pending chunks. */
  public void enqueue(Job job) {
    queue.add(job);
    dispatch();
  }

  /** Puts a chunk back in front of the queue, if its job may still run. */
  public void requeue(Job job, int chunk) {
    if (job.isRunnable() && !job.isDone(chunk)) {
      queue.retry(job, chunk);
      dispatch();
    }
  }

  /** Stops handing out tasks (shutdown). */
  public void drain() {
    draining = true;
  }

  public boolean isDraining() {
    return draining;
  }

  /** Tasks running on this node's workers now (this node's and borrowed ones). */
  public int inFlight() {
    return inFlight;
  }

  public boolean hasQueued() {
    return !queue.isEmpty();
  }

  public boolean hasIdleWorkers() {
    return !idleWorkers.isEmpty();
  }

  /** The next queued task in fair order (for lending it to another node), or null. */
  public FairQueue.Task nextTask() {
    return queue.next();
  }

  /** Takes every idle worker out (for borrowed tasks); give back the unused ones with {@link #returnWorkers}. */
  public List<String> takeIdleWorkers() {
    List<String> taken = new ArrayList<>(idleWorkers);
    idleWorkers.clear();
    return taken;
  }

  public void returnWorkers(Collection<String> workers) {
    idleWorkers.addAll(workers);
    dispatch();
  }

  /** Local workers first (the data is here); what they cannot take now is announced for others to borrow. */
  public void dispatch() {
    while (!draining && !idleWorkers.isEmpty()) {
      FairQueue.Task task = queue.next();
      if (task == null) {
        onIdle.run();
        return;
      }
      send(takeIdleWorker(), task.job(), task.chunk());
    }
    if (!draining && !queue.isEmpty()) {
      onBacklog.run();
    }
  }

  private String takeIdleWorker() {
    Iterator<String> it = idleWorkers.iterator();
    String worker = it.next();
    it.remove();
    return worker;
  }

  private void send(String worker, Job job, int chunk) {
    ChunkTask task = new ChunkTask(job.id(), job.dataset(), chunk, job.request(), null);
    inFlight++;
    registry.workStarted(job);
    vertx.eventBus().<JsonObject>request(Addresses.worker(worker), task.toJson(), LocalDelivery.timeout(taskTimeoutMs))
        .onComplete(ar -> {
          inFlight--;
          try {
            if (ar.succeeded()) {
              ChunkOutcome outcome = ChunkOutcome.fromJson(ar.result().body());
              if (outcome.isDone()) {
                registry.chunkDone(outcome.report());
              } else {
                requeue(job, chunk);
              }
            } else if (ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
              // The worker went away before taking the task: another one gets it.
              requeue(job, chunk);
            } else if (job.isRunnable()) {
              LabelFlightException e = BusErrors.toLabelFlight(ar.cause());
              registry.fail(job, "chunk " + chunk + ": " + e.getMessage(), e.kind());
            }
          } finally {
            registry.workEnded(job);
            onTaskEnded.run();
          }
        });
  }

  /** Runs a task lent by another node on {@code worker}; completes with the worker's binary outcome. */
  public Future<Buffer> runBorrowed(String worker, ChunkTask task) {
    inFlight++;
    return vertx.eventBus().<Buffer>request(Addresses.worker(worker), task.toJson(), LocalDelivery.timeout(taskTimeoutMs))
        .map(reply -> reply.body())
        .andThen(ar -> {
          inFlight--;
          onTaskEnded.run();
        });
  }
}
