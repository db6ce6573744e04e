package dev.labelflight.verticles.job;

import dev.labelflight.engine.apply.ApplyRequest;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.node.NodeResources;
import dev.labelflight.verticles.resident.ResidentDataset;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs on an event loop and never blocks: accepts apply requests (validation and LF compilation run on
 * a worker), routes each job, and hands chunk tasks of queued jobs to chunk workers each time one
 * announces room (credit-based pull: nothing is sent to a busy worker), round-robin across users and
 * jobs ({@link FairQueue}). Progress is published on {@link Addresses#job(String)} after every chunk.
 *
 * <p>Router, per job: a resident copy of the dataset version is loaded: run there. Else, in mode
 * {@code auto}, if the node budget can hold the dataset now, its permits are taken and a
 * {@link ResidentDataset} is deployed for next time while this job runs on the queue; otherwise the
 * queue. {@code mode: queue} and {@code mode: resident} force a path (resident waits for the permits,
 * evicting idle residents first). Idle residents are undeployed after {@code residentIdleMs}, and
 * least-recently-used ones when queued work needs their budget ({@link Addresses#RESIDENT_RECLAIM}).
 *
 * <p>Config (the {@code jobs} object): {@code maxRunningPerUser} refuses a user's next apply with
 * RESOURCE_EXHAUSTED while that many of their jobs run (0: no limit); {@code timeoutMs} fails a job still
 * running after that long, its remaining chunk tasks skipped as for a cancel (0: no limit).
 */
public final class JobCoordinator extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(JobCoordinator.class);
  private static final long AWAIT_MAX_MS = 10_000;

  private final NodeResources node;
  private final int retainedJobs;
  private final Map<String, Job> jobs = new HashMap<>();
  private final ArrayDeque<String> finishedOrder = new ArrayDeque<>();
  private final LinkedHashSet<String> idleWorkers = new LinkedHashSet<>();
  private final FairQueue queue = new FairQueue();
  private final Map<String, List<Waiter>> waiters = new HashMap<>();
  private final Map<String, Resident> residents = new HashMap<>();
  private final Map<String, Long> timeouts = new HashMap<>();
  private int maxRunningPerUser;
  private long jobTimeoutMs;

  private final java.util.function.LongConsumer chunkNanos;
  private int inFlight;
  private boolean draining;
  private final List<Message<JsonObject>> drainWaiters = new ArrayList<>();

  private record Waiter(Message<JsonObject> message, int after, long timer) {}

  /** A resident dataset as the coordinator knows it: deployed (or loading), its use and its permits. */
  private static final class Resident {
    final String key;
    final long bytes;
    ResidentDataset verticle;
    String deployment;
    boolean ready;
    int activeJobs;
    long lastUsed = System.currentTimeMillis();
    final List<Job> waiting = new ArrayList<>();

    Resident(String key, long bytes) {
      this.key = key;
      this.bytes = bytes;
    }
  }

  public JobCoordinator(NodeResources node, int retainedJobs) {
    this(node, retainedJobs, nanos -> { });
  }

  /** {@code chunkNanos} hears the evaluation time of every finished chunk (for metrics); called on the event loop. */
  public JobCoordinator(NodeResources node, int retainedJobs, java.util.function.LongConsumer chunkNanos) {
    this.node = node;
    this.retainedJobs = retainedJobs;
    this.chunkNanos = chunkNanos;
  }

  @Override
  public Future<?> start() {
    var bus = vertx.eventBus();
    maxRunningPerUser = config().getInteger("maxRunningPerUser", 0);
    jobTimeoutMs = config().getLong("timeoutMs", 0L);
    long idleMs = node.execution().residentIdleMs();
    vertx.setPeriodic(Math.max(50, Math.min(idleMs / 2, 5_000)), t -> evictIdle(idleMs));
    return Future.all(List.of(
        bus.<String>consumer(Addresses.APPLY, this::onApply).completion(),
        bus.<JsonObject>consumer(Addresses.JOB_STATUS, this::onStatus).completion(),
        bus.<JsonObject>consumer(Addresses.AWAIT_PROGRESS, this::onAwait).completion(),
        bus.<JsonObject>consumer(Addresses.CANCEL, this::onCancel).completion(),
        bus.<JsonObject>consumer(Addresses.DROP_DATASET, this::onDropDataset).completion(),
        bus.<JsonObject>consumer(Addresses.WORKER_READY, this::onWorkerReady).completion(),
        bus.<JsonObject>consumer(Addresses.CHUNK_DONE, m -> onChunkDone(m.body())).completion(),
        bus.<JsonObject>consumer(Addresses.RESIDENT_RECLAIM, this::onReclaim).completion(),
        bus.<JsonObject>consumer(Addresses.NODE_STATS, m -> m.reply(stats())).completion(),
        bus.<JsonObject>consumer(Addresses.DRAIN, this::onDrain).completion()));
  }

  @Override
  public Future<?> stop() {
    List<Future<?>> undeploys = new ArrayList<>();
    for (Resident r : residents.values()) {
      if (r.deployment != null) {
        undeploys.add(vertx.undeploy(r.deployment));
      } else if (r.verticle != null) {
        // Still loading: Vert.x does not stop a deployment that has not completed, so stop its loader.
        undeploys.add(r.verticle.abandon());
      }
    }
    return Future.join(undeploys);
  }

  // ---- apply and routing ------------------------------------------------------------------------

  private void onApply(Message<String> message) {
    Object body = message.body();
    String text = body instanceof String s ? s : String.valueOf(body);
    if (draining) {
      BusErrors.fail(message, new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE,
          "shutting down: this node takes no new jobs"));
      return;
    }
    vertx.executeBlocking(() -> prepare(text), false).onComplete(ar -> {
      if (ar.failed()) {
        BusErrors.fail(message, ar.cause());
        return;
      }
      Job job = ar.result();
      long running = jobs.values().stream().filter(j -> !j.isTerminal() && j.user.equals(job.user)).count();
      if (maxRunningPerUser > 0 && running >= maxRunningPerUser) {
        vertx.executeBlocking(() -> {
          node.labels().delete(job.id);
          return null;
        }, false);
        BusErrors.fail(message, LabelFlightException.exhausted("user '" + job.user + "' already runs " + running
            + " jobs, the limit of jobs.maxRunningPerUser; wait for one to end or cancel one"));
        return;
      }
      jobs.put(job.id, job);
      if (jobTimeoutMs > 0 && !job.isTerminal()) {
        timeouts.put(job.id, vertx.setTimer(jobTimeoutMs, t -> timedOut(job)));
      }
      LOG.info("job {} of {} on {} v{}: {} LFs, {} chunks, mode {}", job.id, job.user, job.manifest.name(),
          job.manifest.version(), job.lfNames.size(), job.chunks(), job.mode);
      message.reply(new JsonObject().put("job", job.id));
      if (job.isTerminal()) {
        ended(job);
      } else {
        route(job);
      }
    });
  }

  /** Blocking: parses and validates the request, compiles its LFs once (errors reach the caller now), records the job. */
  private Job prepare(String body) {
    ApplyRequest request = ApplyRequest.parse(body);
    Manifest manifest = node.datasets().manifest(request.dataset(), request.version());
    node.compiler().compile(request.lfs(), request.labels(), manifest.arrowSchema());
    ChunkLabeler.JobLfs lfs = ChunkLabeler.JobLfs.of(request.lfs(), request.labels());
    String id = UUID.randomUUID().toString();
    node.labels().create(id, new LabelStore.JobLabels(manifest.name(), manifest.version(), lfs.names(),
        lfs.fingerprints()));
    return new Job(id, manifest, lfs, body, request.user(), request.mode());
  }

  private static String key(Manifest m) {
    return m.name() + "@" + m.version();
  }

  private void route(Job job) {
    Resident resident = residents.get(key(job.manifest));
    long need = ChunkLabeler.residentEstimate(job.manifest);
    if (job.mode.equals("queue")) {
      enqueue(job, "mode queue requested");
    } else if (resident != null && resident.ready) {
      runResident(job, resident, "dataset is resident");
    } else if (job.mode.equals("resident")) {
      if (resident != null) {
        job.routed("resident", "mode resident requested: waited for the resident copy to load");
        resident.waiting.add(job);
      } else {
        job.routed("resident", "mode resident requested: loading the dataset (" + mib(need) + " MiB)");
        forceResident(job, need);
      }
    } else if (resident != null) {
      enqueue(job, "a resident copy is loading; this job runs on the task queue meanwhile");
    } else if (!node.execution().residentEnabled()) {
      enqueue(job, "resident datasets are disabled");
    } else if (need > node.budget().maxBytes()) {
      enqueue(job, "dataset needs " + mib(need) + " MiB in memory, more than the budget of "
          + mib(node.budget().maxBytes()) + " MiB");
    } else {
      String owner = "resident " + key(job.manifest) + " " + UUID.randomUUID();
      vertx.executeBlocking(() -> node.budget().tryReserve(owner, need), false).onComplete(ar -> {
        if (ar.succeeded() && ar.result() && !residents.containsKey(key(job.manifest))) {
          deployResident(job.manifest, owner, need);
          enqueue(job, "dataset fits the free budget (" + mib(need) + " MiB): loading a resident copy for next time;"
              + " this job runs on the task queue meanwhile");
        } else {
          if (ar.succeeded() && ar.result()) {
            vertx.executeBlocking(() -> {
              node.budget().free(owner, need);
              return null;
            }, false);
          }
          enqueue(job, "dataset needs " + mib(need) + " MiB in memory; the budget has less free: task queue");
        }
      });
    }
  }

  /** Mode resident: evicts idle residents if needed, waits for the permits, loads, then runs the job there. */
  private void forceResident(Job job, long need) {
    if (need > node.budget().maxBytes()) {
      job.finish(Job.State.FAILED, "mode resident: dataset needs " + mib(need) + " MiB in memory, more than the budget of "
          + mib(node.budget().maxBytes()) + " MiB");
      progressed(job);
      return;
    }
    String owner = "resident " + key(job.manifest) + " " + UUID.randomUUID();
    Resident placeholder = new Resident(key(job.manifest), need);
    placeholder.waiting.add(job);
    residents.put(placeholder.key, placeholder);
    reclaim(need).compose(v -> vertx.executeBlocking(() -> {
      node.budget().reserve(owner, need).get();
      return null;
    }, false)).onComplete(ar -> {
      if (ar.failed()) {
        residents.remove(placeholder.key);
        failWaiting(placeholder, ar.cause());
        return;
      }
      residents.remove(placeholder.key);
      Resident r = deployResident(job.manifest, owner, need);
      r.waiting.addAll(placeholder.waiting);
    });
  }

  private Resident deployResident(Manifest manifest, String owner, long bytes) {
    Resident r = new Resident(key(manifest), bytes);
    r.verticle = new ResidentDataset(node, manifest, owner, bytes);
    residents.put(r.key, r);
    vertx.deployVerticle(r.verticle, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER))
        .onComplete(ar -> {
          if (ar.failed()) {
            LOG.warn("resident {} could not load: {}", r.key, ar.cause().toString());
            residents.remove(r.key);
            failWaiting(r, ar.cause());
            return;
          }
          r.deployment = ar.result();
          r.ready = true;
          r.lastUsed = System.currentTimeMillis();
          List<Job> waiting = new ArrayList<>(r.waiting);
          r.waiting.clear();
          waiting.forEach(j -> runResident(j, r, j.route));
        });
    return r;
  }

  private void failWaiting(Resident r, Throwable cause) {
    for (Job j : r.waiting) {
      j.finish(Job.State.FAILED, "resident dataset could not be loaded: " + BusErrors.toLabelFlight(cause).getMessage());
      progressed(j);
    }
    r.waiting.clear();
  }

  private void runResident(Job job, Resident r, String why) {
    if (job.isTerminal()) {
      return;
    }
    job.routed("resident", why);
    job.pending.clear();
    r.activeJobs++;
    r.lastUsed = System.currentTimeMillis();
    vertx.eventBus().<JsonObject>request(r.verticle.address(), new JsonObject().put("job", job.id).put("request", job.request),
        new DeliveryOptions().setSendTimeout(node.taskTimeoutMs())).onComplete(ar -> {
      r.activeJobs--;
      r.lastUsed = System.currentTimeMillis();
      maybeDrained();
      if (ar.failed() && !job.isTerminal()) {
        job.finish(Job.State.FAILED, BusErrors.toLabelFlight(ar.cause()).getMessage());
        progressed(job);
      }
    });
  }

  private void enqueue(Job job, String why) {
    job.routed("queue", why);
    queue.add(job);
    dispatch();
  }

  // ---- task queue -------------------------------------------------------------------------------

  private void onWorkerReady(Message<JsonObject> message) {
    idleWorkers.add(message.body().getString("worker"));
    dispatch();
  }

  private void dispatch() {
    while (!draining && !idleWorkers.isEmpty()) {
      FairQueue.Task task = queue.next();
      if (task == null) {
        return;
      }
      Iterator<String> it = idleWorkers.iterator();
      String worker = it.next();
      it.remove();
      send(worker, task.job(), task.chunk());
    }
  }

  private void send(String worker, Job job, int chunk) {
    JsonObject task = new JsonObject()
        .put("job", job.id)
        .put("dataset", job.manifest.name())
        .put("version", job.manifest.version())
        .put("chunk", chunk)
        .put("request", job.request);
    inFlight++;
    vertx.eventBus().<JsonObject>request(Addresses.worker(worker), task,
        new DeliveryOptions().setSendTimeout(node.taskTimeoutMs())).onComplete(ar -> {
      inFlight--;
      maybeDrained();
      if (ar.succeeded()) {
        onChunkDone(ar.result().body());
      } else if (ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
        // The worker went away before taking the task: give the task to another one.
        if (!job.isTerminal()) {
          queue.retry(job, chunk);
          dispatch();
        }
      } else if (!job.isTerminal()) {
        LabelFlightException e = BusErrors.toLabelFlight(ar.cause());
        job.finish(Job.State.FAILED, "chunk " + chunk + ": " + e.getMessage());
        LOG.warn("job {} failed: {}", job.id, job.error);
        progressed(job);
      }
    });
  }

  private void onChunkDone(JsonObject report) {
    Job job = jobs.get(report.getString("job"));
    if (job != null && job.chunkDone(report)) {
      chunkNanos.accept(report.getLong("evalNanos", 0L));
      progressed(job);
    }
  }

  private void progressed(Job job) {
    vertx.eventBus().publish(Addresses.job(job.id), job.status());
    List<Waiter> list = waiters.get(job.id);
    if (list != null) {
      list.removeIf(w -> {
        if (job.isTerminal() || job.contiguousDone > w.after()) {
          vertx.cancelTimer(w.timer());
          w.message().reply(job.progress(w.after()));
          return true;
        }
        return false;
      });
      if (list.isEmpty()) {
        waiters.remove(job.id);
      }
    }
    if (job.isTerminal()) {
      ended(job);
    }
  }

  /** The job ran past jobs.timeoutMs: it fails, and workers and residents skip its remaining chunks. */
  private void timedOut(Job job) {
    timeouts.remove(job.id);
    if (job.isTerminal()) {
      return;
    }
    node.cancelledJobs().add(job.id);
    job.finish(Job.State.FAILED, "timed out: the job ran longer than jobs.timeoutMs = " + jobTimeoutMs
        + " ms; its remaining chunk tasks were stopped");
    progressed(job);
  }

  private void ended(Job job) {
    Long timer = timeouts.remove(job.id);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
    LOG.info("job {} {} on the {} ({} of {} chunks, {} LF columns computed){}", job.id, job.state, job.path, job.done,
        job.chunks(), job.lfChunkEvaluations, job.error == null ? "" : ": " + job.error);
    finishedOrder.add(job.id);
    while (finishedOrder.size() > retainedJobs) {
      String old = finishedOrder.poll();
      jobs.remove(old);
      node.cancelledJobs().remove(old);
      vertx.executeBlocking(() -> {
        node.labels().delete(old);
        return null;
      }, false);
    }
  }

  // ---- residents: eviction ----------------------------------------------------------------------

  private void evictIdle(long idleMs) {
    long now = System.currentTimeMillis();
    for (Resident r : List.copyOf(residents.values())) {
      if (r.ready && r.activeJobs == 0 && now - r.lastUsed >= idleMs) {
        LOG.info("resident {} idle for {} ms: evicting", r.key, now - r.lastUsed);
        evict(r);
      }
    }
  }

  private Future<Void> evict(Resident r) {
    residents.remove(r.key);
    return vertx.undeploy(r.deployment);
  }

  private void onReclaim(Message<JsonObject> message) {
    reclaim(message.body().getLong("bytes", 0L)).onComplete(ar -> {
      if (message.replyAddress() != null) {
        message.reply(new JsonObject());
      }
    });
  }

  /** Evicts idle residents, least recently used first, until their permits cover {@code bytes} or none is left. */
  private Future<Void> reclaim(long bytes) {
    List<Resident> idle = residents.values().stream()
        .filter(r -> r.ready && r.activeJobs == 0)
        .sorted(Comparator.comparingLong(r -> r.lastUsed))
        .toList();
    List<Future<Void>> undeploys = new ArrayList<>();
    long freed = 0;
    for (Resident r : idle) {
      if (freed >= bytes) {
        break;
      }
      LOG.info("resident {} evicted: queued work needs {} MiB", r.key, mib(bytes));
      undeploys.add(evict(r));
      freed += r.bytes;
    }
    return Future.join(undeploys).mapEmpty();
  }

  // ---- status, cancel, progress -----------------------------------------------------------------

  private Job job(JsonObject body) {
    String id = body == null ? null : body.getString("job");
    if (id == null) {
      throw LabelFlightException.invalid("missing 'job'");
    }
    Job job = jobs.get(LabelStore.validateJobId(id));
    if (job == null) {
      throw LabelFlightException.notFound("job '" + id + "' not found");
    }
    return job;
  }

  private void onStatus(Message<JsonObject> message) {
    try {
      message.reply(job(message.body()).status());
    } catch (RuntimeException e) {
      BusErrors.fail(message, e);
    }
  }

  /** Pending chunks are dropped at once; workers and residents skip the job's next chunks; in-flight ones end within one chunk. */
  /**
   * Drops a dataset: its running jobs fail, its resident copies are evicted (giving back their permits),
   * then its versions and cached labels are deleted on a worker.
   */
  private void onDropDataset(Message<JsonObject> message) {
    String name = message.body() == null ? null : message.body().getString("dataset");
    if (name == null) {
      BusErrors.fail(message, LabelFlightException.invalid("missing 'dataset'"));
      return;
    }
    for (Job job : List.copyOf(jobs.values())) {
      if (!job.isTerminal() && job.manifest.name().equals(name)) {
        node.cancelledJobs().add(job.id);
        job.finish(Job.State.FAILED, "dataset '" + name + "' was dropped");
        progressed(job);
      }
    }
    List<Future<Void>> evictions = new ArrayList<>();
    for (Resident r : List.copyOf(residents.values())) {
      if (r.key.startsWith(name + "@") && r.deployment != null) {
        evictions.add(evict(r));
      }
    }
    Future.join(evictions).transform(ignored -> vertx.executeBlocking(() -> {
      List<Integer> versions = node.datasets().drop(name);
      node.labels().cache().drop(name);
      return versions;
    }, false)).onComplete(ar -> {
      if (ar.failed()) {
        BusErrors.fail(message, ar.cause());
      } else {
        LOG.info("dataset {} dropped (versions {})", name, ar.result());
        message.reply(new JsonObject().put("dataset", name).put("versions", new io.vertx.core.json.JsonArray(ar.result())));
      }
    });
  }

  private void onCancel(Message<JsonObject> message) {
    try {
      Job job = job(message.body());
      if (!job.isTerminal()) {
        node.cancelledJobs().add(job.id);
        job.finish(Job.State.CANCELLED, "cancelled by request");
        progressed(job);
      }
      message.reply(job.status());
    } catch (RuntimeException e) {
      BusErrors.fail(message, e);
    }
  }

  private void onAwait(Message<JsonObject> message) {
    try {
      Job job = job(message.body());
      int after = message.body().getInteger("after", -1);
      if (job.isTerminal() || job.contiguousDone > after) {
        message.reply(job.progress(after));
        return;
      }
      List<Waiter> list = waiters.computeIfAbsent(job.id, k -> new ArrayList<>());
      long[] timer = new long[1];
      timer[0] = vertx.setTimer(AWAIT_MAX_MS, t -> {
        List<Waiter> current = waiters.get(job.id);
        if (current != null && current.removeIf(w -> w.timer() == timer[0])) {
          message.reply(job.progress(after));
        }
      });
      list.add(new Waiter(message, after, timer[0]));
    } catch (RuntimeException e) {
      BusErrors.fail(message, e);
    }
  }

  // ---- metrics and shutdown ---------------------------------------------------------------------

  /** Jobs by state and path, queued chunk tasks per user, resident datasets and their bytes. */
  private JsonObject stats() {
    JsonObject jobCounts = new JsonObject();
    JsonObject queueDepth = new JsonObject();
    for (Job job : jobs.values()) {
      String key = job.state.name() + "/" + job.path;
      jobCounts.put(key, jobCounts.getLong(key, 0L) + 1);
      // Every user with a retained job has a row, 0 when nothing of theirs is queued.
      long queued = !job.isTerminal() && job.path.equals("queue") ? job.pending.size() : 0;
      queueDepth.put(job.user, queueDepth.getLong(job.user, 0L) + queued);
    }
    long residentBytes = 0;
    int loaded = 0;
    for (Resident r : residents.values()) {
      if (r.ready) {
        loaded++;
        residentBytes += r.bytes;
      }
    }
    return new JsonObject().put("jobs", jobCounts).put("queueDepth", queueDepth).put("inFlight", inFlight)
        .put("residents", loaded).put("residentBytes", residentBytes);
  }

  /** Stops taking jobs and handing out tasks; answers once the running tasks and resident jobs are done. */
  private void onDrain(Message<JsonObject> message) {
    if (!draining) {
      LOG.info("draining: no new jobs, no new chunk tasks; {} tasks running", inFlight);
    }
    draining = true;
    drainWaiters.add(message);
    maybeDrained();
  }

  /** Answers the drain requests once no chunk task and no job on a resident dataset runs any more. */
  private void maybeDrained() {
    if (!draining || inFlight > 0 || residents.values().stream().anyMatch(r -> r.activeJobs > 0)) {
      return;
    }
    drainWaiters.forEach(m -> m.reply(new JsonObject().put("inFlight", 0)));
    drainWaiters.clear();
  }

  private static long mib(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }
}
