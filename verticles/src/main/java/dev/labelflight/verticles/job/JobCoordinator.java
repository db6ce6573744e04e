package dev.labelflight.verticles.job;

import dev.labelflight.engine.apply.ApplyRequest;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.CompiledLfSet;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.node.NodeResources;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
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
 * a worker), splits jobs into chunk tasks, and hands one task to a chunk worker each time that worker
 * announces room (credit-based pull: nothing is sent to a busy worker). Tasks of different jobs
 * interleave round-robin. Progress is published on {@link Addresses#job(String)} after every chunk.
 */
public final class JobCoordinator extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(JobCoordinator.class);
  private static final long AWAIT_MAX_MS = 10_000;

  private final NodeResources node;
  private final int retainedJobs;
  private final Map<String, Job> jobs = new HashMap<>();
  private final ArrayDeque<String> finishedOrder = new ArrayDeque<>();
  private final LinkedHashSet<String> idleWorkers = new LinkedHashSet<>();
  private final ArrayDeque<Job> runnable = new ArrayDeque<>();
  private final Map<String, List<Waiter>> waiters = new HashMap<>();

  private record Waiter(Message<JsonObject> message, int after, long timer) {}

  public JobCoordinator(NodeResources node, int retainedJobs) {
    this.node = node;
    this.retainedJobs = retainedJobs;
  }

  @Override
  public Future<?> start() {
    var bus = vertx.eventBus();
    return Future.all(List.of(
        bus.<String>consumer(Addresses.APPLY, this::onApply).completion(),
        bus.<JsonObject>consumer(Addresses.JOB_STATUS, this::onStatus).completion(),
        bus.<JsonObject>consumer(Addresses.AWAIT_PROGRESS, this::onAwait).completion(),
        bus.<JsonObject>consumer(Addresses.CANCEL, this::onCancel).completion(),
        bus.<JsonObject>consumer(Addresses.WORKER_READY, this::onWorkerReady).completion()));
  }

  private void onApply(Message<String> message) {
    Object body = message.body();
    String text = body instanceof String s ? s : String.valueOf(body);
    vertx.executeBlocking(() -> prepare(text), false).onComplete(ar -> {
      if (ar.failed()) {
        BusErrors.fail(message, ar.cause());
        return;
      }
      Job job = ar.result();
      jobs.put(job.id, job);
      LOG.info("job {} on {} v{}: {} LFs, {} chunks", job.id, job.manifest.name(), job.manifest.version(),
          job.lfNames.size(), job.chunks());
      message.reply(new JsonObject().put("job", job.id));
      if (job.isTerminal()) {
        ended(job);
      } else {
        runnable.add(job);
        dispatch();
      }
    });
  }

  /** Blocking: parses and validates the request and compiles its LFs once, so errors reach the caller now. */
  private Job prepare(String body) {
    ApplyRequest request = ApplyRequest.parse(body);
    Manifest manifest = node.datasets().manifest(request.dataset(), request.version());
    CompiledLfSet compiled = node.compiler().compile(request.lfs(), request.labels(), manifest.arrowSchema());
    return new Job(UUID.randomUUID().toString(), manifest, compiled.names(), body);
  }

  private void onWorkerReady(Message<JsonObject> message) {
    idleWorkers.add(message.body().getString("worker"));
    dispatch();
  }

  private void dispatch() {
    while (!idleWorkers.isEmpty() && !runnable.isEmpty()) {
      Job job = runnable.poll();
      if (job.isTerminal() || job.pending.isEmpty()) {
        continue;
      }
      int chunk = job.pending.poll();
      if (!job.pending.isEmpty()) {
        runnable.add(job);
      }
      Iterator<String> it = idleWorkers.iterator();
      String worker = it.next();
      it.remove();
      send(worker, job, chunk);
    }
  }

  private void send(String worker, Job job, int chunk) {
    JsonObject task = new JsonObject()
        .put("job", job.id)
        .put("dataset", job.manifest.name())
        .put("version", job.manifest.version())
        .put("chunk", chunk)
        .put("request", job.request);
    vertx.eventBus().<JsonObject>request(Addresses.worker(worker), task,
        new DeliveryOptions().setSendTimeout(node.taskTimeoutMs())).onComplete(ar -> {
      if (ar.succeeded()) {
        JsonObject r = ar.result().body();
        if (job.chunkDone(chunk, new AtomicFiles.Written(r.getLong("bytes"), r.getLong("crc32c")),
            r.getInteger("rows"), r.getLong("evalNanos"))) {
          progressed(job);
        }
      } else if (ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
        // The worker went away before taking the task: give the task to another one.
        if (!job.isTerminal()) {
          job.pending.addFirst(chunk);
          if (!runnable.contains(job)) {
            runnable.addFirst(job);
          }
          dispatch();
        }
      } else {
        LabelFlightException e = BusErrors.toLabelFlight(ar.cause());
        job.finish(Job.State.FAILED, "chunk " + chunk + ": " + e.getMessage());
        LOG.warn("job {} failed: {}", job.id, job.error);
        progressed(job);
      }
    });
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

  private void ended(Job job) {
    LOG.info("job {} {} ({} of {} chunks){}", job.id, job.state, job.done, job.chunks(),
        job.error == null ? "" : ": " + job.error);
    finishedOrder.add(job.id);
    while (finishedOrder.size() > retainedJobs) {
      String old = finishedOrder.poll();
      jobs.remove(old);
      vertx.executeBlocking(() -> {
        node.labels().delete(old);
        return null;
      }, false);
    }
  }

  private Job job(Message<?> message, JsonObject body) {
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
      message.reply(job(message, message.body()).status());
    } catch (RuntimeException e) {
      BusErrors.fail(message, e);
    }
  }

  private void onCancel(Message<JsonObject> message) {
    try {
      Job job = job(message, message.body());
      if (!job.isTerminal()) {
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
      Job job = job(message, message.body());
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
}
