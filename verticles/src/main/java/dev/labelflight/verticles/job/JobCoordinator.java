package dev.labelflight.verticles.job;

import dev.labelflight.engine.apply.ApplyRequest;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.bus.LocalDelivery;
import dev.labelflight.verticles.bus.Caller;
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
import io.vertx.core.json.JsonArray;
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
  private static final long ANNOUNCE_MS = 200;
  private static final long STEAL_TIMEOUT_MS = 5_000;

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
  /** Tasks lent to other nodes, by {@code job/chunk}: re-queued when that node leaves or the lease ends. */
  private final Map<String, Lent> lent = new HashMap<>();
  /** Nodes that said they have queued tasks and no idle worker, in the order we heard it. */
  private final LinkedHashSet<String> nodesWithWork = new LinkedHashSet<>();
  private boolean stealing;
  private long lastAnnounced;
  private int inFlight;
  private boolean draining;
  private final List<Message<JsonObject>> drainWaiters = new ArrayList<>();

  private record Waiter(Message<JsonObject> message, int after, long timer) {}

  private record Lent(String node, Job job, int chunk, long timer) {}

  /** Where a resident copy for a job may go on another node: already there ({@code ready}) or with room for one. */
  private record Placement(String node, boolean ready, String ownerFlight) {}

  /** Jobs running on a resident copy held by another node, by job id: node id. */
  private final Map<String, String> remoteRuns = new HashMap<>();

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
    /** Other nodes waiting for this copy to load (it holds their dataset). */
    final List<Message<JsonObject>> hostWaiters = new ArrayList<>();

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
        bus.<String>localConsumer(Addresses.APPLY, this::onApply).completion(),
        bus.<JsonObject>localConsumer(Addresses.JOB_STATUS, this::onStatus).completion(),
        bus.<JsonObject>localConsumer(Addresses.AWAIT_PROGRESS, this::onAwait).completion(),
        bus.<JsonObject>localConsumer(Addresses.CANCEL, this::onCancel).completion(),
        bus.<JsonObject>localConsumer(Addresses.DROP_DATASET, this::onDropDataset).completion(),
        bus.<JsonObject>localConsumer(Addresses.WORKER_READY, this::onWorkerReady).completion(),
        bus.<JsonObject>localConsumer(Addresses.CHUNK_DONE, m -> onChunkDone(m.body())).completion(),
        bus.<JsonObject>localConsumer(Addresses.RESIDENT_RECLAIM, this::onReclaim).completion(),
        bus.<JsonObject>localConsumer(Addresses.NODE_STATS, m -> m.reply(stats())).completion(),
        bus.<JsonObject>localConsumer(Addresses.DRAIN, this::onDrain).completion(),
        bus.<JsonObject>localConsumer(Addresses.NODE_LEFT, m -> onNodeLeft(m.body().getString("node"))).completion(),
        clusterConsumers()));
  }

  /** Clustered: lend tasks to other nodes, take their results, hear who has work. */
  private Future<?> clusterConsumers() {
    if (!node.directory().clustered()) {
      return Future.succeededFuture();
    }
    var bus = vertx.eventBus();
    var context = vertx.getOrCreateContext();
    node.directory().onNodeLeft(id -> context.runOnContext(v -> onNodeLeft(id)));
    // While tasks wait here and no local worker is idle, say so again now and then: a node that just
    // joined, or whose workers just freed up, then comes to steal.
    vertx.setPeriodic(ANNOUNCE_MS, t -> {
      if (!draining && !queue.isEmpty() && idleWorkers.isEmpty()) {
        announceWork();
      }
      stealIfIdle();
    });
    return Future.all(
        bus.<JsonObject>consumer(Addresses.steal(node.nodeId()), this::onSteal).completion(),
        bus.<JsonObject>consumer(Addresses.result(node.nodeId()), this::onRemoteResult).completion(),
        bus.<JsonObject>consumer(Addresses.hostResident(node.nodeId()), this::onHostResident).completion(),
        bus.<JsonObject>consumer(Addresses.runResident(node.nodeId()), this::onRunResident).completion(),
        bus.<JsonObject>consumer(Addresses.WORK_AVAILABLE, m -> onWorkAvailable(m.body().getString("node"))).completion());
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
    String caller = Caller.of(message);
    vertx.executeBlocking(() -> prepare(text, caller), false).onComplete(ar -> {
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

  /**
   * Blocking: parses and validates the request, compiles its LFs once (errors reach the caller now), records
   * the job. An authenticated {@code caller} owns the job and names a dataset of their own namespace.
   */
  private Job prepare(String body, String caller) {
    ApplyRequest request = ApplyRequest.parse(body);
    Manifest manifest = node.datasets().manifest(DatasetNames.qualify(caller, request.dataset()), request.version());
    ChunkLabeler.JobLfs lfs = node.labeler().jobLfs(manifest, request.lfs(), request.labels());
    node.compiler().compile(request.lfs(), request.labels(), lfs.schema() != null ? lfs.schema() : manifest.arrowSchema());
    String id = JobIds.create(node.nodeId());
    node.labels().create(id, LabelStore.JobLabels.of(manifest.name(), manifest.version(), lfs));
    return new Job(id, manifest, lfs, body, caller != null ? caller : request.user(), request.mode());
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
    } else if (job.mode.equals("resident") && resident == null && need > node.budget().maxBytes()) {
      tryRemote(job, need, true, () -> {
        job.finish(Job.State.FAILED, "mode resident: dataset needs " + mib(need) + " MiB in memory, more than the budget of "
            + mib(node.budget().maxBytes()) + " MiB, and no other node has that much free");
        progressed(job);
      });
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
      tryRemote(job, need, false, () -> enqueue(job, "dataset needs " + mib(need) + " MiB in memory, more than the budget of "
          + mib(node.budget().maxBytes()) + " MiB"));
    } else {
      String owner = "resident " + key(job.manifest) + " " + UUID.randomUUID();
      vertx.executeBlocking(() -> node.budget().tryReserve(owner, need), false).onComplete(ar -> {
        if (ar.succeeded() && ar.result() && !residents.containsKey(key(job.manifest))) {
          deployResident(job.manifest, owner, need);
          enqueue(job, "dataset fits the free budget (" + mib(need) + " MiB): loading a resident copy for next time;"
              + " this job runs on the task queue meanwhile");
        } else {
          if (ar.succeeded() && ar.result()) {
            freeLater(owner, need);
          }
          tryRemote(job, need, false,
              () -> enqueue(job, "dataset needs " + mib(need) + " MiB in memory; the budget has less free: task queue"));
        }
      });
    }
  }

  // ---- residents on other nodes -----------------------------------------------------------------

  /**
   * Looks for another node with a resident copy of the job's dataset (the job runs there) or with room
   * for one (it is asked to load one; with {@code wait} the job waits for it, else it runs on the queue
   * meanwhile and later jobs find the copy). {@code otherwise} runs when no node fits.
   */
  private void tryRemote(Job job, long need, boolean wait, Runnable otherwise) {
    if (!node.directory().clustered() || !node.execution().residentEnabled() || !job.lfs.derived().isEmpty()) {
      otherwise.run();
      return;
    }
    String key = key(job.manifest);
    vertx.executeBlocking(() -> pickRemote(key, need, job.unreachable), false).onComplete(ar -> {
      if (ar.failed() || ar.result() == null || job.isTerminal()) {
        otherwise.run();
        return;
      }
      Placement p = ar.result();
      if (p.ready()) {
        runRemoteResident(job, p.node(), "a resident copy is on node " + p.node());
        return;
      }
      Future<?> hosted = vertx.eventBus().request(Addresses.hostResident(p.node()), new JsonObject()
              .put("dataset", job.manifest.name()).put("version", job.manifest.version())
              .put("ownerFlight", p.ownerFlight()).put("bytes", need),
          new DeliveryOptions().setSendTimeout(node.taskTimeoutMs()));
      if (!wait) {
        enqueue(job, "dataset needs " + mib(need) + " MiB in memory, more than this node has free: node " + p.node()
            + " loads a resident copy for next time; this job runs on the task queue meanwhile");
        return;
      }
      job.routed("resident", "loading a resident copy on node " + p.node() + " (" + mib(need) + " MiB)");
      hosted.onComplete(h -> {
        if (h.succeeded()) {
          runRemoteResident(job, p.node(), job.route);
        } else {
          LOG.info("node {} could not hold {}: {}", p.node(), key, h.cause().toString());
          otherwise.run();
        }
      });
    });
  }

  /** Blocking (directory): a node holding {@code key}, else the one with the most free memory if it covers {@code need}. */
  private Placement pickRemote(String key, long need, java.util.Set<String> excluded) {
    String ownerFlight = node.directory().localFlight();
    if (ownerFlight == null) {
      return null;
    }
    Placement best = null;
    long bestFree = need - 1;
    for (var other : node.directory().nodes()) {
      if (node.directory().isLocal(other.nodeId()) || excluded.contains(other.nodeId())) {
        continue;
      }
      Object keys = other.facts().get("residentKeys");
      if (keys instanceof List<?> list && list.contains(key)) {
        return new Placement(other.nodeId(), true, ownerFlight);
      }
      Object free = other.facts().get("freeBytes");
      if (free instanceof Number n && n.longValue() > bestFree) {
        bestFree = n.longValue();
        best = new Placement(other.nodeId(), false, ownerFlight);
      }
    }
    return best;
  }

  /** Runs a job on another node's resident copy; its chunk labels arrive as results. Falls back to the queue. */
  private void runRemoteResident(Job job, String host, String why) {
    if (job.isTerminal()) {
      return;
    }
    job.routed("resident", why);
    job.pending.clear();
    remoteRuns.put(job.id, host);
    vertx.eventBus().<JsonObject>request(Addresses.runResident(host), new JsonObject().put("job", job.id)
            .put("request", job.request).put("home", node.nodeId())
            .put("dataset", job.manifest.name()).put("version", job.manifest.version()),
        new DeliveryOptions().setSendTimeout(node.taskTimeoutMs())).onComplete(ar -> {
      if (remoteRuns.remove(job.id) == null || job.isTerminal()) {
        return;
      }
      if (ar.failed() && job.mode.equals("resident") && job.done == 0
          && ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
        // The node went away before the directory said so: the copy is made on another node.
        job.unreachable.add(host);
        tryRemote(job, ChunkLabeler.residentEstimate(job.manifest), true,
            () -> toQueue(job, "no other node could hold a resident copy: the job runs on the task queue"));
      } else if (ar.failed()) {
        toQueue(job, "the resident copy on node " + host + " failed (" + BusErrors.toLabelFlight(ar.cause()).getMessage()
            + "): the rest runs on the task queue");
      } else {
        // Every chunk's result was sent before this reply; if some never arrives, run those chunks here.
        vertx.setTimer(STEAL_TIMEOUT_MS, t -> {
          if (!job.isTerminal() && !remoteRuns.containsKey(job.id)) {
            toQueue(job, "results of node " + host + " missing: the rest runs on the task queue");
          }
        });
      }
    });
  }

  /** Queues a job's chunks that are not done yet. */
  private void toQueue(Job job, String why) {
    job.pending.clear();
    for (int i = 0; i < job.chunks(); i++) {
      if (job.files[i] == null) {
        job.pending.add(i);
      }
    }
    if (!job.pending.isEmpty()) {
      LOG.info("job {}: {}", job.id, why);
      enqueue(job, why);
    }
  }

  /** Another node asks this one to hold a copy of its dataset in memory. */
  private void onHostResident(Message<JsonObject> message) {
    JsonObject body = message.body();
    String key = body.getString("dataset") + "@" + body.getInteger("version");
    long bytes = body.getLong("bytes", 0L);
    Resident existing = residents.get(key);
    if (existing != null) {
      if (existing.ready) {
        message.reply(new JsonObject().put("ready", true));
      } else {
        existing.hostWaiters.add(message);
      }
      return;
    }
    if (draining || !node.execution().residentEnabled() || bytes <= 0 || bytes > node.budget().maxBytes()) {
      BusErrors.fail(message, LabelFlightException.exhausted("node " + node.nodeId() + " takes no resident copy of "
          + mib(bytes) + " MiB now"));
      return;
    }
    String owner = "resident " + key + " for another node " + UUID.randomUUID();
    String ownerFlight = body.getString("ownerFlight");
    vertx.executeBlocking(() -> {
      if (!node.budget().tryReserve(owner, bytes)) {
        return null;
      }
      try {
        return node.remote().manifest(ownerFlight, body.getString("dataset"), body.getInteger("version"));
      } catch (RuntimeException e) {
        node.budget().free(owner, bytes);
        throw e;
      }
    }, false).onComplete(ar -> {
      if (ar.failed() || ar.result() == null || residents.containsKey(key)) {
        if (ar.succeeded() && ar.result() != null) {
          freeLater(owner, bytes);
        }
        Resident raced = residents.get(key);
        if (raced != null) {
          raced.hostWaiters.add(message);
          return;
        }
        BusErrors.fail(message, ar.failed() ? ar.cause()
            : LabelFlightException.exhausted("node " + node.nodeId() + " has less than " + mib(bytes) + " MiB free"));
        return;
      }
      deployResident(ar.result(), owner, bytes, node.remote().chunks(ownerFlight)).hostWaiters.add(message);
    });
  }

  /** Runs another node's job on the resident copy held here; its chunk results go straight to that node. */
  private void onRunResident(Message<JsonObject> message) {
    JsonObject body = message.body();
    Resident r = residents.get(body.getString("dataset") + "@" + body.getInteger("version"));
    if (draining || r == null || !r.ready) {
      BusErrors.fail(message, LabelFlightException.notFound("no resident copy of " + body.getString("dataset")
          + " v" + body.getInteger("version") + " on node " + node.nodeId()));
      return;
    }
    r.activeJobs++;
    r.lastUsed = System.currentTimeMillis();
    vertx.eventBus().<JsonObject>request(r.verticle.address(), new JsonObject().put("job", body.getString("job"))
            .put("request", body.getString("request")).put("home", body.getString("home")),
        LocalDelivery.timeout(node.taskTimeoutMs())).onComplete(ar -> {
      r.activeJobs--;
      r.lastUsed = System.currentTimeMillis();
      maybeDrained();
      if (ar.succeeded()) {
        message.reply(ar.result().body());
      } else {
        BusErrors.fail(message, ar.cause());
      }
    });
  }

  /** Gives a reservation back off the event loop (the budget may be a Hazelcast semaphore). */
  private void freeLater(String owner, long bytes) {
    vertx.executeBlocking(() -> {
      node.budget().free(owner, bytes);
      return null;
    }, false);
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
    return deployResident(manifest, owner, bytes, (m, i, a) -> node.datasets().readChunk(m, i, a));
  }

  private Resident deployResident(Manifest manifest, String owner, long bytes, dev.labelflight.engine.store.ChunkSource source) {
    Resident r = new Resident(key(manifest), bytes);
    r.verticle = new ResidentDataset(node, manifest, owner, bytes, source);
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
          r.hostWaiters.forEach(m -> m.reply(new JsonObject().put("ready", true)));
          r.hostWaiters.clear();
        });
    return r;
  }

  private void failWaiting(Resident r, Throwable cause) {
    r.hostWaiters.forEach(m -> BusErrors.fail(m, cause));
    r.hostWaiters.clear();
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
        LocalDelivery.timeout(node.taskTimeoutMs())).onComplete(ar -> {
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

  /** Local workers first (the data is here); what they cannot take now is announced for other nodes to steal. */
  private void dispatch() {
    while (!draining && !idleWorkers.isEmpty()) {
      FairQueue.Task task = queue.next();
      if (task == null) {
        stealIfIdle();
        return;
      }
      send(takeIdleWorker(), task.job(), task.chunk());
    }
    if (!draining && !queue.isEmpty()) {
      announceWork();
    }
  }

  private String takeIdleWorker() {
    Iterator<String> it = idleWorkers.iterator();
    String worker = it.next();
    it.remove();
    return worker;
  }

  private static JsonObject task(Job job, int chunk) {
    return new JsonObject()
        .put("job", job.id)
        .put("dataset", job.manifest.name())
        .put("version", job.manifest.version())
        .put("chunk", chunk)
        .put("request", job.request);
  }

  private void send(String worker, Job job, int chunk) {
    inFlight++;
    vertx.eventBus().<JsonObject>request(Addresses.worker(worker), task(job, chunk),
        LocalDelivery.timeout(node.taskTimeoutMs())).onComplete(ar -> {
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

  // ---- cluster: lending tasks to other nodes, borrowing theirs -----------------------------------

  /** Tells the cluster this node has more queued tasks than idle workers (at most every few ms). */
  private void announceWork() {
    long now = System.currentTimeMillis();
    if (!node.directory().clustered() || now - lastAnnounced < ANNOUNCE_MS / 4) {
      return;
    }
    lastAnnounced = now;
    vertx.eventBus().publish(Addresses.WORK_AVAILABLE, new JsonObject().put("node", node.nodeId()));
  }

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
   * work still comes first, because stealing only starts when the local queue is empty.
   */
  private void stealIfIdle() {
    if (!node.directory().clustered() || stealing || draining || idleWorkers.isEmpty() || !queue.isEmpty()
        || nodesWithWork.isEmpty()) {
      return;
    }
    String from = nodesWithWork.iterator().next();
    List<String> reserved = new ArrayList<>(idleWorkers);
    idleWorkers.clear();
    stealing = true;
    vertx.eventBus().<JsonObject>request(Addresses.steal(from),
        new JsonObject().put("node", node.nodeId()).put("max", reserved.size()),
        new DeliveryOptions().setSendTimeout(STEAL_TIMEOUT_MS)).onComplete(ar -> {
      stealing = false;
      JsonArray tasks = ar.succeeded() ? ar.result().body().getJsonArray("tasks", new JsonArray()) : new JsonArray();
      if (tasks.isEmpty()) {
        nodesWithWork.remove(from);
      }
      Iterator<String> workers = reserved.iterator();
      for (int i = 0; i < tasks.size(); i++) {
        runBorrowed(workers.next(), from, tasks.getJsonObject(i));
      }
      workers.forEachRemaining(idleWorkers::add);
      dispatch();
    });
  }

  /** Runs a task lent by {@code home} on a local worker and sends the outcome back there. */
  private void runBorrowed(String worker, String home, JsonObject task) {
    inFlight++;
    vertx.eventBus().<JsonObject>request(Addresses.worker(worker), task,
        LocalDelivery.timeout(node.taskTimeoutMs())).onComplete(ar -> {
      JsonObject outcome;
      if (ar.succeeded()) {
        outcome = ar.result().body();
      } else if (ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
        outcome = new JsonObject().put("returned", true);
      } else {
        outcome = new JsonObject().put("error", BusErrors.toLabelFlight(ar.cause()).getMessage());
      }
      outcome.put("job", task.getString("job")).put("chunk", task.getInteger("chunk")).put("node", node.nodeId());
      vertx.eventBus().request(Addresses.result(home), outcome, new DeliveryOptions().setSendTimeout(node.taskTimeoutMs()))
          .onComplete(sent -> {
            inFlight--;
            maybeDrained();
            if (sent.failed()) {
              LOG.warn("result of job {} chunk {} not delivered to node {}: {}", task.getString("job"),
                  task.getInteger("chunk"), home, sent.cause().toString());
            }
          });
    });
  }

  /** Another node asks for tasks: lends up to {@code max} of the queued ones, each under a lease. */
  private void onSteal(Message<JsonObject> message) {
    String borrower = message.body().getString("node");
    int max = Math.max(0, Math.min(message.body().getInteger("max", 1), 64));
    JsonArray tasks = new JsonArray();
    String ownerFlight = node.directory().localFlight();
    // Derived columns live beside the data on this node only: their jobs' tasks stay here.
    List<FairQueue.Task> kept = new ArrayList<>();
    while (!draining && ownerFlight != null && tasks.size() < max && kept.size() < 256) {
      FairQueue.Task t = queue.next();
      if (t == null) {
        break;
      }
      Job job = t.job();
      int chunk = t.chunk();
      if (!job.lfs.derived().isEmpty() || job.keepLocal.get(chunk)) {
        kept.add(t);
        continue;
      }
      String key = job.id + "/" + chunk;
      long timer = vertx.setTimer(node.taskTimeoutMs(), x -> {
        if (lent.remove(key) != null) {
          LOG.warn("job {} chunk {} lent to node {}: no result in time, queued again", job.id, chunk, borrower);
          requeue(job, chunk);
        }
      });
      lent.put(key, new Lent(borrower, job, chunk, timer));
      tasks.add(task(job, chunk).put("ownerFlight", ownerFlight));
    }
    for (int i = kept.size() - 1; i >= 0; i--) {
      queue.retry(kept.get(i).job(), kept.get(i).chunk());
    }
    message.reply(new JsonObject().put("tasks", tasks));
  }

  private void requeue(Job job, int chunk) {
    if (!job.isTerminal()) {
      queue.retry(job, chunk);
      dispatch();
    }
  }

  /** The outcome of a lent task: labels go into this node's cache (checked), then the chunk counts as done. */
  private void onRemoteResult(Message<JsonObject> message) {
    JsonObject report = message.body();
    String key = report.getString("job") + "/" + report.getInteger("chunk");
    Lent l = lent.remove(key);
    if (l != null) {
      vertx.cancelTimer(l.timer());
    }
    Job job = jobs.get(report.getString("job"));
    message.reply(new JsonObject());
    if (job == null || job.isTerminal()) {
      return;
    }
    int chunk = report.getInteger("chunk");
    if (report.getBoolean("returned", false)) {
      requeue(job, chunk);
      return;
    }
    if (report.containsKey("error")) {
      // It may be the other node's trouble (fetching the chunk, its memory): run it here once more, where
      // a real fault of the chunk or its LFs fails the job as on a single node.
      LOG.warn("job {} chunk {} failed on node {} ({}): running it on this node", job.id, chunk,
          report.getString("node"), report.getString("error"));
      job.keepLocal.set(chunk);
      requeue(job, chunk);
      return;
    }
    byte[] labels = report.getBinary("labels");
    report.remove("labels");
    vertx.executeBlocking(() -> {
      storeBorrowedLabels(job, chunk, labels, report);
      return null;
    }, false).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("labels of job {} chunk {} from node {} rejected ({}); running it again", job.id, chunk,
            report.getString("node"), ar.cause().toString());
        requeue(job, chunk);
      } else {
        onChunkDone(report);
      }
    });
  }

  /** Blocking: checks a borrowed chunk's labels against its report and writes the columns this cache lacks. */
  private void storeBorrowedLabels(Job job, int chunk, byte[] labels, JsonObject report) {
    int rows = job.manifest.chunk(chunk).rows();
    List<String> prints = job.lfs.fingerprints();
    if (labels == null || labels.length != (long) rows * prints.size()) {
      throw LabelFlightException.internal("label bytes do not match " + rows + " rows x " + prints.size() + " LFs", null);
    }
    byte[][] columns = new byte[prints.size()][];
    for (int i = 0; i < columns.length; i++) {
      columns[i] = java.util.Arrays.copyOfRange(labels, i * rows, (i + 1) * rows);
    }
    if (!LabelStore.payload(columns).equals(new dev.labelflight.engine.store.AtomicFiles.Written(
        report.getLong("bytes"), report.getLong("crc32c")))) {
      throw LabelFlightException.internal("label bytes do not match their checksum", null);
    }
    Map<String, byte[]> distinct = new java.util.LinkedHashMap<>();
    for (int i = 0; i < columns.length; i++) {
      distinct.putIfAbsent(prints.get(i), columns[i]);
    }
    try (var allocator = node.allocator().newChildAllocator("borrowed labels " + job.id + "/" + chunk, 0,
        Long.MAX_VALUE)) {
      node.labels().cache().write(job.manifest, chunk, List.copyOf(distinct.keySet()),
          distinct.values().toArray(new byte[0][]), allocator);
    }
  }

  /** A node left: what it borrowed is queued again here, and it is no longer asked for work. */
  private void onNodeLeft(String gone) {
    if (gone == null) {
      return;
    }
    nodesWithWork.remove(gone);
    for (Map.Entry<String, String> run : List.copyOf(remoteRuns.entrySet())) {
      Job job = jobs.get(run.getKey());
      if (run.getValue().equals(gone) && job != null) {
        remoteRuns.remove(run.getKey());
        toQueue(job, "node " + gone + " that held the resident copy left: the rest runs on the task queue");
      }
    }
    List<Lent> back = lent.values().stream().filter(l -> l.node().equals(gone)).toList();
    for (Lent l : back) {
      lent.remove(l.job().id + "/" + l.chunk());
      vertx.cancelTimer(l.timer());
      requeue(l.job(), l.chunk());
    }
    if (!back.isEmpty()) {
      LOG.info("node {} left: its {} borrowed chunk tasks are queued again", gone, back.size());
    }
  }

  // ---- status, cancel, progress -----------------------------------------------------------------

  /** The job a request names; NOT_FOUND, worded alike, if there is none or it is another user's. */
  private Job job(Message<JsonObject> message) {
    JsonObject body = message.body();
    String id = body == null ? null : body.getString("job");
    if (id == null) {
      throw LabelFlightException.invalid("missing 'job'");
    }
    Job job = jobs.get(LabelStore.validateJobId(id));
    if (job == null || !Caller.mayAccess(message, job.user)) {
      throw Caller.jobNotFound(id);
    }
    return job;
  }

  private void onStatus(Message<JsonObject> message) {
    try {
      Job job = job(message);
      JsonObject status = job.status();
      // {"specs": true}: the LF specs too (the review pages highlight where keyword/regex LFs match).
      if (Boolean.TRUE.equals(message.body().getValue("specs"))) {
        status.put("specs", new JsonArray(job.lfs.specs().stream().map(s -> (Object) new JsonObject(s.json().toString())).toList()));
      }
      message.reply(status);
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
    String given = message.body() == null ? null : message.body().getString("dataset");
    String name;
    try {
      name = Caller.dataset(message, given == null ? "" : given);
    } catch (LabelFlightException e) {
      BusErrors.fail(message, given == null ? LabelFlightException.invalid("missing 'dataset'") : e);
      return;
    }
    for (Job job : List.copyOf(jobs.values())) {
      if (!job.isTerminal() && job.manifest.name().equals(name)) {
        node.cancelledJobs().add(job.id);
        job.finish(Job.State.FAILED, "dataset '" + given + "' was dropped");
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
        message.reply(new JsonObject().put("dataset", given).put("versions", new io.vertx.core.json.JsonArray(ar.result())));
      }
    });
  }

  private void onCancel(Message<JsonObject> message) {
    try {
      Job job = job(message);
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
      Job job = job(message);
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
    JsonArray residentKeys = new JsonArray();
    for (Resident r : residents.values()) {
      if (r.ready) {
        loaded++;
        residentBytes += r.bytes;
        residentKeys.add(r.key);
      }
    }
    return new JsonObject().put("jobs", jobCounts).put("queueDepth", queueDepth).put("inFlight", inFlight)
        .put("residents", loaded).put("residentBytes", residentBytes).put("residentKeys", residentKeys);
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
