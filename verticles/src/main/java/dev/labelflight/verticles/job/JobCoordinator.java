package dev.labelflight.verticles.job;

import dev.labelflight.engine.apply.ApplyRequest;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.lf.python.PythonLfs;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.bus.Caller;
import dev.labelflight.verticles.dispatch.TaskDispatcher;
import dev.labelflight.verticles.lending.ChunkLending;
import dev.labelflight.verticles.node.NodeResources;
import dev.labelflight.verticles.resident.CopyHosting;
import dev.labelflight.verticles.resident.ResidentPool;
import dev.labelflight.verticles.resident.VerticleCopyLoader;
import dev.labelflight.verticles.routing.JobRouter;
import dev.labelflight.verticles.worker.ChunkReport;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job API of one node on the event bus, wired to the parts that do the work: the {@link JobRegistry}
 * (jobs, progress, cancel, timeouts), the {@link JobRouter} (where a job runs, by the routing rule), the
 * {@link ResidentPool} (resident copies), the {@link TaskDispatcher} (chunk tasks to workers, fairly) and
 * the {@link ChunkLending} (tasks between nodes). It runs on an event loop and never blocks: preparing a
 * job (validation, LF compilation) and everything else that may block runs on workers. It also drains the
 * node for a graceful shutdown.
 *
 * <p>Config (the {@code jobs} object): {@code maxRunningPerUser} refuses a user's next apply with
 * RESOURCE_EXHAUSTED while that many of their jobs run (0: no limit); {@code timeoutMs} stops a job still
 * running after that long (0: no limit); {@code stopWaitMs} bounds how long a cancel waits for a job's
 * running chunks; {@code retained} finished jobs are kept.
 */
public final class JobCoordinator extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(JobCoordinator.class);

  private final NodeResources node;
  private final LongConsumer chunkNanos;
  private JobRegistry registry;
  private TaskDispatcher dispatcher;
  private ResidentPool residents;
  private JobRouter router;
  private ChunkLending lending;
  private boolean draining;
  private boolean drainOver;
  private long drainTimer = -1;
  private final List<Message<JsonObject>> drainWaiters = new ArrayList<>();

  /** {@code chunkNanos} hears the evaluation time of every finished chunk (for metrics); called on the event loop. */
  public JobCoordinator(NodeResources node, LongConsumer chunkNanos) {
    this.node = node;
    this.chunkNanos = chunkNanos;
  }

  public JobCoordinator(NodeResources node) {
    this(node, nanos -> { });
  }

  @Override
  public Future<?> start() {
    registry = new JobRegistry(vertx, node.jobTokens(), JobRegistry.Settings.fromConfig(config()),
        id -> node.labels().delete(id), chunkNanos);
    dispatcher = new TaskDispatcher(vertx, registry, node.taskTimeoutMs());
    dispatcher.onTaskEnded(this::maybeDrained);
    long idleMs = node.execution().residentIdleMs();
    residents = new ResidentPool(vertx, node.memoryPool(), new VerticleCopyLoader(vertx, node),
        node.execution().residentAdmissionWait(), idleMs, System::currentTimeMillis);
    CopyHosting hosting = new CopyHosting(vertx, node, residents, () -> draining, this::maybeDrained);
    router = new JobRouter(vertx, node, registry, dispatcher, residents, hosting, this::maybeDrained);
    lending = new ChunkLending(vertx, node, registry, dispatcher, Math.min(node.taskTimeoutMs(), 60_000));
    vertx.setPeriodic(Math.max(50, Math.min(idleMs / 2, 5_000)), t -> residents.evictIdle());
    if (node.directory().clustered()) {
      var context = vertx.getOrCreateContext();
      node.directory().onNodeLeft(id -> context.runOnContext(v -> nodeLeft(id)));
    }
    var bus = vertx.eventBus();
    return Future.all(List.of(
        bus.localConsumer(Addresses.APPLY, this::onApply).completion(),
        bus.<JsonObject>localConsumer(Addresses.JOB_STATUS, m -> answer(m, () -> status(m))).completion(),
        bus.<JsonObject>localConsumer(Addresses.AWAIT_PROGRESS, this::onAwait).completion(),
        bus.<JsonObject>localConsumer(Addresses.CANCEL, this::onCancel).completion(),
        bus.<JsonObject>localConsumer(Addresses.DROP_DATASET, this::onDropDataset).completion(),
        bus.<JsonObject>localConsumer(Addresses.WORKER_READY, m -> dispatcher.workerReady(m.body().getString("worker")))
            .completion(),
        bus.<JsonObject>localConsumer(Addresses.CHUNK_DONE, m -> registry.chunkDone(ChunkReport.fromJson(m.body())))
            .completion(),
        bus.<JsonObject>localConsumer(Addresses.RESIDENT_RECLAIM, this::onReclaim).completion(),
        bus.<JsonObject>localConsumer(Addresses.NODE_STATS, m -> m.reply(stats())).completion(),
        bus.<JsonObject>localConsumer(Addresses.DRAIN, this::onDrain).completion(),
        bus.<JsonObject>localConsumer(Addresses.NODE_LEFT, m -> nodeLeft(m.body().getString("node"))).completion(),
        hosting.start(),
        lending.start()));
  }

  @Override
  public Future<?> stop() {
    return residents == null ? Future.succeededFuture() : residents.stop();
  }

  private static void answer(Message<JsonObject> message, java.util.function.Supplier<JsonObject> reply) {
    try {
      message.reply(reply.get());
    } catch (RuntimeException e) {
      BusErrors.fail(message, e);
    }
  }

  // ---- apply ------------------------------------------------------------------------------------

  private void onApply(Message<Object> message) {
    if (draining) {
      BusErrors.fail(message, new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE,
          "shutting down: this node takes no new jobs"));
      return;
    }
    String text = message.body() instanceof String s ? s : String.valueOf(message.body());
    String caller = Caller.of(message);
    vertx.executeBlocking(() -> prepare(text, caller), false).onComplete(ar -> {
      if (ar.failed()) {
        BusErrors.fail(message, ar.cause());
        return;
      }
      Job job = ar.result();
      try {
        registry.admit(job);
      } catch (LabelFlightException e) {
        vertx.executeBlocking(() -> {
          node.labels().delete(job.id());
          return null;
        }, false);
        BusErrors.fail(message, e);
        return;
      }
      LOG.info("job {} of {} on {} v{}: {} LFs, {} chunks, mode {}", job.id(), job.user(), job.manifest().name(),
          job.manifest().version(), job.lfs().specs().size(), job.chunks(), job.mode().wireName());
      message.reply(new JsonObject().put("job", job.id()));
      if (!job.isTerminal()) {
        router.route(job);
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
    // A job whose Python LFs its user may not run is refused now, not when its first chunk runs.
    PythonLfs.checkAllowed(node.compiler().service(PythonLfs.class), caller != null ? caller : request.user(),
        request.lfs());
    ChunkLabeler.JobLfs lfs = node.labeler().jobLfs(manifest, request.lfs(), request.labels());
    node.compiler().compile(request.lfs(), request.labels(), lfs.schema() != null ? lfs.schema() : manifest.arrowSchema());
    String id = JobIds.create(node.nodeId());
    node.labels().create(id, LabelStore.JobLabels.of(manifest.name(), manifest.version(), lfs));
    return new Job(id, manifest, lfs, body, caller != null ? caller : request.user(), request.mode(),
        node.jobTokens().open(id));
  }

  // ---- status, progress, cancel, drop ------------------------------------------------------------

  /** The job a request names; NOT_FOUND, worded alike, if there is none or it is another user's. */
  private Job accessible(Message<?> message, String id) {
    Job job = registry.find(id);
    if (job == null || !Caller.mayAccess(message, job.user())) {
      throw Caller.jobNotFound(id);
    }
    return job;
  }

  private JsonObject status(Message<JsonObject> message) {
    JobQuery query = JobQuery.fromJson(message.body());
    Job job = accessible(message, query.job());
    JsonObject status = job.status();
    if (query.specs()) {
      status.put("specs", new JsonArray(job.lfs().specs().stream()
          .map(s -> (Object) new JsonObject(s.json().toString())).toList()));
    }
    return status;
  }

  private void onAwait(Message<JsonObject> message) {
    try {
      ProgressQuery query = ProgressQuery.fromJson(message.body());
      registry.awaitProgress(accessible(message, query.job()), query.after(), message);
    } catch (RuntimeException e) {
      BusErrors.fail(message, e);
    }
  }

  /** Answers once the job's running chunks have returned (at most {@code jobs.stopWaitMs}). */
  private void onCancel(Message<JsonObject> message) {
    try {
      Job job = accessible(message, JobQuery.fromJson(message.body()).job());
      registry.cancel(job).onComplete(ar -> message.reply(ar.succeeded() ? ar.result() : job.status()));
    } catch (RuntimeException e) {
      BusErrors.fail(message, e);
    }
  }

  /**
   * Drops a dataset: its running jobs stop and fail, its resident copies are evicted (giving back their
   * memory), then its versions and cached labels are deleted on a worker.
   */
  private void onDropDataset(Message<JsonObject> message) {
    String given;
    String name;
    try {
      given = DropDatasetRequest.fromJson(message.body()).dataset();
      name = Caller.dataset(message, given);
    } catch (LabelFlightException e) {
      BusErrors.fail(message, e);
      return;
    }
    registry.stopAll(job -> job.manifest().name().equals(name), JobState.FAILED, CancelToken.Reason.CANCELLED,
            "dataset '" + given + "' was dropped", LabelFlightException.Kind.NOT_FOUND)
        .compose(v -> residents.drop(name))
        .transform(ignored -> vertx.executeBlocking(() -> {
          List<Integer> versions = node.datasets().drop(name);
          node.labels().cache().drop(name);
          return versions;
        }, false))
        .onComplete(ar -> {
          if (ar.failed()) {
            BusErrors.fail(message, ar.cause());
          } else {
            LOG.info("dataset {} dropped (versions {})", name, ar.result());
            message.reply(new JsonObject().put("dataset", given).put("versions", new JsonArray(ar.result())));
          }
        });
  }

  // ---- residents, cluster, metrics --------------------------------------------------------------

  private void onReclaim(Message<JsonObject> message) {
    residents.reclaim(message.body().getLong("bytes", 0L)).onComplete(ar -> {
      if (message.replyAddress() != null) {
        message.reply(new JsonObject());
      }
    });
  }

  private void nodeLeft(String gone) {
    if (gone != null) {
      lending.nodeLeft(gone);
      router.nodeLeft(gone);
    }
  }

  /** Jobs by state and path, queued chunk tasks per user, tasks running, resident copies and their bytes. */
  private JsonObject stats() {
    return registry.stats().put("inFlight", dispatcher.inFlight()).mergeIn(residents.stats());
  }

  // ---- graceful shutdown ------------------------------------------------------------------------

  /**
   * Stops taking jobs and handing out tasks; answers once the running tasks and resident runs are done.
   * After {@code drainMs} (if given) it stops every job still running (their chunks are cancelled, and the
   * jobs fail saying the node shut down) and answers once that work stopped or the jobs' stop wait ran out.
   */
  private void onDrain(Message<JsonObject> message) {
    long drainMs = message.body() == null ? 0 : message.body().getLong("drainMs", 0L);
    if (!draining) {
      LOG.info("draining: no new jobs, no new chunk tasks; {} tasks running", dispatcher.inFlight());
      draining = true;
      dispatcher.drain();
    }
    drainWaiters.add(message);
    if (drainMs > 0 && drainTimer < 0) {
      drainTimer = vertx.setTimer(drainMs, t -> cancelRunning(drainMs));
    }
    maybeDrained();
  }

  private void cancelRunning(long drainMs) {
    if (drainWaiters.isEmpty()) {
      return;
    }
    String why = "the node shut down before the job ended (drain time " + drainMs + " ms); re-apply it to compute"
        + " the chunks that were not done";
    int here = node.jobTokens().cancelAll(CancelToken.Reason.SHUTDOWN, why);
    LOG.warn("drain time over: stopping the running work of {} jobs", here);
    registry.stopAll(job -> true, JobState.FAILED, CancelToken.Reason.SHUTDOWN, why,
        LabelFlightException.Kind.UNAVAILABLE).onComplete(v -> {
      drainOver = true;
      maybeDrained();
    });
  }

  /** Answers the drain requests once no chunk task and no job on a resident copy runs any more (or the wait is over). */
  private void maybeDrained() {
    if (!draining || drainWaiters.isEmpty()
        || !drainOver && (dispatcher.inFlight() > 0 || residents.activeJobs() > 0)) {
      return;
    }
    JsonObject reply = new JsonObject().put("inFlight", dispatcher.inFlight()).put("residentJobs", residents.activeJobs());
    drainWaiters.forEach(m -> m.reply(reply));
    drainWaiters.clear();
  }
}
