package dev.labelflight.verticles.lending;

import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.memory.Reservation;
import dev.labelflight.engine.memory.footprint.LabelFootprint;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.dispatch.FairQueue;
import dev.labelflight.verticles.dispatch.TaskDispatcher;
import dev.labelflight.verticles.job.Job;
import dev.labelflight.verticles.job.JobRegistry;
import dev.labelflight.verticles.node.MemoryAdmission;
import dev.labelflight.verticles.node.NodeResources;
import dev.labelflight.verticles.worker.ChunkTask;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chunk tasks lent between nodes (clustered only). As a <b>lender</b>, this node's coordinator says when
 * tasks wait and no worker is idle ({@link Addresses#WORK_AVAILABLE}), lends queued tasks to a borrower
 * that asks ({@link Addresses#steal}), each under a lease that ends with the task's outcome, the
 * borrower leaving the cluster, or the task timeout; the outcome's label columns (Arrow, in a binary
 * message, {@link LentChunkOutcome}) are checked against their checksum and written to this node's label
 * cache. As a <b>borrower</b>, with idle workers and nothing queued here, it asks a node with work for
 * tasks, runs them on its own workers (reading the chunk from the lender) and sends each outcome back;
 * an outcome it cannot deliver (after one retry) is replaced by a small {@code RETURNED} one so that the
 * lender runs the chunk again instead of waiting for the lease to end. A job that stops has its lent
 * tasks stopped on their borrowers ({@link StopJob}); past the stop wait they are forgotten here.
 *
 * <p>Event-loop only (the coordinator's context); label checks and cache writes run on workers.
 */
public final class ChunkLending {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkLending.class);
  static final long ANNOUNCE_MS = 200;
  static final long STEAL_TIMEOUT_MS = 5_000;
  /** Local tasks skipped (derived columns, chunks that failed on a borrower) before a steal answers. */
  private static final int KEPT_MAX = 256;

  private final Vertx vertx;
  private final NodeResources node;
  private final JobRegistry registry;
  private final TaskDispatcher dispatcher;
  private final long deliveryTimeoutMs;
  /** Tasks lent to other nodes, by {@code job/chunk}. */
  private final Map<String, Lease> leases = new HashMap<>();
  /** Nodes that said they have queued tasks and no idle worker, in the order we heard it. */
  private final LinkedHashSet<String> nodesWithWork = new LinkedHashSet<>();
  private boolean stealing;
  private long lastAnnounced;

  private record Lease(String borrower, Job job, int chunk, long timer) {}

  /** @param deliveryTimeoutMs how long one delivery of an outcome to its home node may take */
  public ChunkLending(Vertx vertx, NodeResources node, JobRegistry registry, TaskDispatcher dispatcher,
      long deliveryTimeoutMs) {
    this.vertx = vertx;
    this.node = node;
    this.registry = registry;
    this.dispatcher = dispatcher;
    this.deliveryTimeoutMs = deliveryTimeoutMs;
  }

  private boolean clustered() {
    return node.directory().clustered();
  }

  /** Registers the cluster consumers and the periodic work announcement (clustered nodes only). */
  public Future<?> start() {
    if (!clustered()) {
      return Future.succeededFuture();
    }
    dispatcher.onBacklog(this::announceWork);
    dispatcher.onIdle(this::stealIfIdle);
    registry.onStopping(this::stopLent);
    registry.onStopOverdue(this::forgetLent);
    // While tasks wait here and no local worker is idle, say so again now and then: a node that just
    // joined, or whose workers just freed up, then comes to borrow.
    vertx.setPeriodic(ANNOUNCE_MS, t -> {
      if (!dispatcher.isDraining() && dispatcher.hasQueued() && !dispatcher.hasIdleWorkers()) {
        announceWork();
      }
      stealIfIdle();
    });
    var bus = vertx.eventBus();
    return Future.all(
        bus.<JsonObject>consumer(Addresses.steal(node.nodeId()), this::onSteal).completion(),
        bus.<Buffer>consumer(Addresses.result(node.nodeId()), this::onOutcome).completion(),
        bus.<JsonObject>consumer(Addresses.stopJob(node.nodeId()), this::onStopJob).completion(),
        bus.<JsonObject>consumer(Addresses.WORK_AVAILABLE, m -> onWorkAvailable(m.body().getString("node"))).completion());
  }

  // ---- lender -----------------------------------------------------------------------------------

  /** Tells the cluster this node has more queued tasks than idle workers (at most every few ms). */
  private void announceWork() {
    long now = System.currentTimeMillis();
    if (now - lastAnnounced < ANNOUNCE_MS / 4) {
      return;
    }
    lastAnnounced = now;
    vertx.eventBus().publish(Addresses.WORK_AVAILABLE, new JsonObject().put("node", node.nodeId()));
  }

  /** Another node asks for tasks: lends up to its {@code max} of the queued ones, each under a lease. */
  private void onSteal(Message<JsonObject> message) {
    StealRequest request = StealRequest.fromJson(message.body());
    String homeFlight = node.directory().localFlight();
    List<ChunkTask> tasks = new ArrayList<>();
    // Derived columns live beside the data on this node only: their jobs' tasks stay here, as do chunks
    // that failed on a borrower.
    List<FairQueue.Task> kept = new ArrayList<>();
    while (!dispatcher.isDraining() && homeFlight != null && tasks.size() < request.max() && kept.size() < KEPT_MAX) {
      FairQueue.Task t = dispatcher.nextTask();
      if (t == null) {
        break;
      }
      Job job = t.job();
      if (!job.lfs().derived().isEmpty() || job.keepLocal().get(t.chunk())) {
        kept.add(t);
        continue;
      }
      lend(request.borrower(), job, t.chunk());
      tasks.add(new ChunkTask(job.id(), job.dataset(), t.chunk(), job.request(), homeFlight));
    }
    for (int i = kept.size() - 1; i >= 0; i--) {
      dispatcher.requeue(kept.get(i).job(), kept.get(i).chunk());
    }
    message.reply(new StealReply(tasks).toJson());
  }

  private void lend(String borrower, Job job, int chunk) {
    String key = key(job.id(), chunk);
    long timer = vertx.setTimer(node.taskTimeoutMs(), x -> {
      Lease expired = leases.remove(key);
      if (expired != null) {
        LOG.warn("job {} chunk {} lent to node {}: no outcome in time, queued again", job.id(), chunk, borrower);
        dispatcher.requeue(job, chunk);
        registry.workEnded(job);
      }
    });
    leases.put(key, new Lease(borrower, job, chunk, timer));
    registry.workStarted(job);
  }

  private static String key(String job, int chunk) {
    return job + "/" + chunk;
  }

  /**
   * The outcome of a chunk of this node's job run elsewhere (a lent task, or a chunk of a run on another
   * node's resident copy): labels go into this node's cache (checked), then the chunk counts as done.
   */
  private void onOutcome(Message<Buffer> message) {
    LentChunkOutcome outcome;
    try {
      outcome = LentChunkOutcome.fromBuffer(message.body());
    } catch (CorruptDataException e) {
      BusErrors.fail(message, e);
      return;
    }
    message.reply(new JsonObject());
    Lease lease = leases.remove(key(outcome.job(), outcome.chunk()));
    if (lease != null) {
      vertx.cancelTimer(lease.timer());
    }
    Job job = registry.find(outcome.job());
    if (job == null || job.isTerminal()) {
      return;
    }
    int chunk = outcome.chunk();
    switch (outcome.kind()) {
      case RETURNED -> {
        dispatcher.requeue(job, chunk);
        leaseEnded(lease, job);
      }
      case FAILED -> {
        // It may be the other node's trouble (fetching the chunk, its memory): run it here once more, where
        // a real fault of the chunk or its LFs fails the job as on a single node.
        if (job.isRunnable()) {
          LOG.warn("job {} chunk {} failed on node {} ({}): running it on this node", job.id(), chunk, outcome.node(),
              outcome.reason());
        }
        job.keepLocal().set(chunk);
        dispatcher.requeue(job, chunk);
        leaseEnded(lease, job);
      }
      case DONE -> vertx.executeBlocking(() -> {
        storeLabels(job, outcome);
        return null;
      }, false).onComplete(ar -> {
        if (ar.failed()) {
          LOG.warn("labels of job {} chunk {} from node {} rejected ({}); running it here", job.id(), chunk,
              outcome.node(), ar.cause().toString());
          job.keepLocal().set(chunk);
          dispatcher.requeue(job, chunk);
        } else {
          registry.chunkDone(outcome.report());
        }
        leaseEnded(lease, job);
      });
    }
  }

  private void leaseEnded(Lease lease, Job job) {
    if (lease != null) {
      registry.workEnded(job);
    }
  }

  /** Blocking: checks a chunk's label columns against its report and writes the columns this cache lacks. */
  private void storeLabels(Job job, LentChunkOutcome outcome) {
    int rows = job.manifest().chunk(outcome.chunk()).rows();
    List<String> prints = job.lfs().fingerprints();
    if (outcome.report().rows() != rows) {
      throw new CorruptDataException("labels of " + outcome.report().rows() + " rows for a chunk of " + rows);
    }
    String holder = "labels of job " + job.id() + " chunk " + outcome.chunk() + " from node " + outcome.node();
    // Decoded once into Arrow buffers (the message's size) and once onto the heap; then written to the cache,
    // which may merge them into a segment of up to 64 columns (the fault run saw that write run out of an
    // allocator sized by the message alone: about one borrowed result in ten was computed again).
    long decode = 2L * outcome.labels().length() + (1 << 20);
    long cacheWrite = LabelFootprint.cacheWrite(rows) + (1 << 20);
    long bytes = decode + cacheWrite;
    try (Reservation reservation = node.memoryPool().newReservation(holder)) {
      MemoryAdmission.await(reservation, bytes, node.execution().memoryWait(), job.token());
      byte[][] columns;
      try (BufferAllocator allocator = node.allocator().newChildAllocator(holder, 0, decode)) {
        columns = outcome.labelColumns(prints.size(), allocator);
      }
      if (!LabelStore.payload(columns).equals(outcome.report().payload())) {
        throw new CorruptDataException("label bytes do not match their checksum");
      }
      Map<String, byte[]> distinct = new LinkedHashMap<>();
      for (int i = 0; i < columns.length; i++) {
        distinct.putIfAbsent(prints.get(i), columns[i]);
      }
      try (BufferAllocator allocator = node.allocator().newChildAllocator(holder + " (cache)", 0, cacheWrite)) {
        node.labels().cache().write(job.manifest(), outcome.chunk(), List.copyOf(distinct.keySet()),
            distinct.values().toArray(new byte[0][]), allocator);
      }
    }
  }

  /** A borrower left: what it borrowed is queued again here, and it is no longer asked for work. */
  public void nodeLeft(String gone) {
    nodesWithWork.remove(gone);
    List<Lease> back = leases.values().stream().filter(l -> l.borrower().equals(gone)).toList();
    for (Lease l : back) {
      leases.remove(key(l.job().id(), l.chunk()));
      vertx.cancelTimer(l.timer());
      dispatcher.requeue(l.job(), l.chunk());
      registry.workEnded(l.job());
    }
    if (!back.isEmpty()) {
      LOG.info("node {} left: its {} borrowed chunk tasks are queued again", gone, back.size());
    }
  }

  /** A job stops: the borrowers running its tasks stop them. */
  private void stopLent(Job job) {
    LinkedHashSet<String> borrowers = new LinkedHashSet<>();
    for (Lease l : leases.values()) {
      if (l.job() == job) {
        borrowers.add(l.borrower());
      }
    }
    CancelToken.Reason reason = job.token().reason() != null ? job.token().reason() : CancelToken.Reason.CANCELLED;
    for (String borrower : borrowers) {
      tellToStop(borrower, job, reason);
    }
  }

  /** Sends {@link StopJob} for {@code job} to {@code nodeId} (fire and forget: a node that is gone has stopped). */
  public void tellToStop(String nodeId, Job job, CancelToken.Reason reason) {
    vertx.eventBus().send(Addresses.stopJob(nodeId), new StopJob(job.id(), reason,
        job.stopMessage() != null ? job.stopMessage() : "stopped").toJson());
  }

  /** A stopping job's lent tasks did not come back within the stop wait: they no longer count here. */
  private void forgetLent(Job job) {
    for (Iterator<Lease> it = leases.values().iterator(); it.hasNext(); ) {
      Lease l = it.next();
      if (l.job() == job) {
        it.remove();
        vertx.cancelTimer(l.timer());
        registry.workEnded(job);
      }
    }
  }

  /** Another node's job stops: its chunks running here stop at their next check. */
  private void onStopJob(Message<JsonObject> message) {
    StopJob stop = StopJob.fromJson(message.body());
    node.jobTokens().cancel(stop.job(), stop.reason(), stop.detail());
  }

  // ---- borrower ---------------------------------------------------------------------------------

  private void onWorkAvailable(String other) {
    if (other == null || other.equals(node.nodeId())) {
      return;
    }
    nodesWithWork.add(other);
    stealIfIdle();
  }

  /**
   * With idle workers and nothing queued here, asks a node with work for as many tasks as there are idle
   * workers. Those workers are set aside for the answer so local work cannot take them meanwhile; local
   * work still comes first, because borrowing only starts when the local queue is empty.
   */
  private void stealIfIdle() {
    if (stealing || dispatcher.isDraining() || !dispatcher.hasIdleWorkers() || dispatcher.hasQueued()
        || nodesWithWork.isEmpty()) {
      return;
    }
    String from = nodesWithWork.iterator().next();
    List<String> reserved = dispatcher.takeIdleWorkers();
    stealing = true;
    vertx.eventBus().<JsonObject>request(Addresses.steal(from), new StealRequest(node.nodeId(), reserved.size()).toJson(),
        new DeliveryOptions().setSendTimeout(STEAL_TIMEOUT_MS)).onComplete(ar -> {
      stealing = false;
      List<ChunkTask> tasks = ar.succeeded() ? StealReply.fromJson(ar.result().body()).tasks() : List.of();
      if (tasks.isEmpty()) {
        nodesWithWork.remove(from);
      }
      Iterator<String> workers = reserved.iterator();
      for (ChunkTask task : tasks) {
        runBorrowed(workers.next(), from, task);
      }
      List<String> unused = new ArrayList<>();
      workers.forEachRemaining(unused::add);
      dispatcher.returnWorkers(unused);
    });
  }

  /** Runs a task lent by {@code home} on a local worker and sends the outcome back there. */
  private void runBorrowed(String worker, String home, ChunkTask task) {
    dispatcher.runBorrowed(worker, task).onComplete(ar -> {
      Buffer outcome;
      if (ar.succeeded()) {
        outcome = ar.result();
      } else if (dispatcher.isDraining()
          || ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
        outcome = LentChunkOutcome.returned(task.job(), task.chunk(), node.nodeId(), "not run on node " + node.nodeId())
            .toBuffer();
      } else {
        outcome = LentChunkOutcome.failed(task.job(), task.chunk(), node.nodeId(),
            BusErrors.toLabelFlight(ar.cause()).getMessage()).toBuffer();
      }
      deliver(home, task, outcome, 0);
    });
  }

  /**
   * Sends an outcome to the job's home node; a failed delivery is tried once more, then replaced by a
   * small RETURNED outcome (the home runs the chunk again at once instead of waiting for the lease).
   */
  private void deliver(String home, ChunkTask task, Buffer outcome, int attempt) {
    vertx.eventBus().request(Addresses.result(home), outcome, new DeliveryOptions().setSendTimeout(deliveryTimeoutMs))
        .onFailure(e -> {
          LOG.warn("outcome of job {} chunk {} not delivered to node {} (attempt {}): {}", task.job(), task.chunk(),
              home, attempt + 1, e.toString());
          if (attempt == 0) {
            deliver(home, task, outcome, 1);
          } else if (attempt == 1) {
            deliver(home, task, LentChunkOutcome.returned(task.job(), task.chunk(), node.nodeId(),
                "its outcome could not be delivered: " + e.getMessage()).toBuffer(), 2);
          }
        });
  }

  /** Tasks lent out now, for diagnostics and tests. */
  public int leases() {
    return leases.size();
  }
}
