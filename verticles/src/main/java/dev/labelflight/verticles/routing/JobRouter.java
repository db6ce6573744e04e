package dev.labelflight.verticles.routing;

import dev.labelflight.engine.memory.footprint.ResidentFootprint;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.apply.ExecutionMode;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.ChunkSource;
import dev.labelflight.engine.store.DatasetRef;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.bus.LocalDelivery;
import dev.labelflight.verticles.dispatch.TaskDispatcher;
import dev.labelflight.verticles.job.ExecutionPath;
import dev.labelflight.verticles.job.Job;
import dev.labelflight.verticles.job.JobRegistry;
import dev.labelflight.verticles.lending.StopJob;
import dev.labelflight.verticles.node.NodeResources;
import dev.labelflight.verticles.resident.CopyHosting;
import dev.labelflight.verticles.resident.RemoteRun;
import dev.labelflight.verticles.resident.ResidentDataset;
import dev.labelflight.verticles.resident.ResidentPool;
import dev.labelflight.verticles.resident.ResidentRun;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the {@link RoutingRule} for each job: reads its inputs (the pool's free bytes on a worker,
 * the copy this node has), then queues the job, runs it on a resident copy here (waiting for one that
 * loads, or loading one), or on another node's copy; and when a route cannot be carried out, its fallback.
 * A job that waits for a copy, or runs on one, counts as running work of the job, so a cancel answers
 * once that has stopped: a waiting job leaves its wait (an admission nobody waits for stops), a run on
 * another node is told to stop there.
 *
 * <p>Event-loop only (the coordinator's context).
 */
public final class JobRouter {
  private static final Logger LOG = LoggerFactory.getLogger(JobRouter.class);
  /** After a run on another node's copy ended, how long its last chunk outcomes may take to arrive. */
  private static final long MISSING_OUTCOMES_MS = 5_000;

  private final Vertx vertx;
  private final NodeResources node;
  private final JobRegistry registry;
  private final TaskDispatcher dispatcher;
  private final ResidentPool residents;
  private final CopyHosting hosting;
  private final Runnable onRunEnded;
  /** Jobs running on a resident copy held by another node, by job id: that node. */
  private final Map<String, String> remoteRuns = new HashMap<>();
  /** Jobs waiting for a resident copy here, by job id: the copy. */
  private final Map<String, DatasetRef> awaiting = new HashMap<>();

  public JobRouter(Vertx vertx, NodeResources node, JobRegistry registry, TaskDispatcher dispatcher,
      ResidentPool residents, CopyHosting hosting, Runnable onRunEnded) {
    this.vertx = vertx;
    this.node = node;
    this.registry = registry;
    this.dispatcher = dispatcher;
    this.residents = residents;
    this.hosting = hosting;
    this.onRunEnded = onRunEnded;
    registry.onStopping(this::stopping);
    registry.onStopOverdue(this::overdue);
  }

  /** Routes a job that was just admitted. */
  public void route(Job job) {
    long copyBytes = ResidentFootprint.of(job.manifest());
    long jobBytes = ResidentDataset.labelBytesPerChunk(job.manifest(), job.lfs(), node.execution().estimateScale());
    boolean otherNodes = node.directory().clustered() && node.execution().residentEnabled()
        && job.lfs().derived().isEmpty();
    vertx.executeBlocking(() -> new long[] {node.memoryPool().maxBytes(), node.memoryPool().freeBytes()}, false)
        .onComplete(ar -> {
          if (!job.isRunnable()) {
            return;
          }
          long budget = ar.succeeded() ? ar.result()[0] : node.memoryPool().maxBytes();
          long free = ar.succeeded() ? ar.result()[1] : 0;
          RouteInputs inputs = new RouteInputs(job.mode(), residents.state(job.dataset()), copyBytes, jobBytes, budget,
              free, node.execution().residentEnabled(), otherNodes);
          carryOut(job, RoutingRule.decide(inputs), copyBytes, jobBytes);
        });
  }

  private void carryOut(Job job, Route route, long copyBytes, long jobBytes) {
    if (!job.isRunnable()) {
      return;
    }
    switch (route.kind()) {
      case QUEUE -> {
        if (route.copy() != Route.CopyAction.LOAD_FOR_NEXT_TIME) {
          enqueue(job, route.reason());
          return;
        }
        residents.loadIfFree(job.manifest(), copyBytes, jobBytes, localChunks()).onComplete(ar -> {
          if (ar.succeeded() && ar.result()) {
            enqueue(job, route.reason());
          } else {
            carryOut(job, route.fallback(), copyBytes, jobBytes);
          }
        });
      }
      case RESIDENT -> {
        switch (route.copy()) {
          case USE -> runHere(job, residents.ready(job.dataset()), route.reason(), route.fallback());
          case AWAIT -> awaitCopy(job, residents.whenReady(job.dataset(), job.id()), route, copyBytes, jobBytes);
          default -> awaitCopy(job, residents.load(job.manifest(), copyBytes, localChunks(), job.id()), route,
              copyBytes, jobBytes);
        }
      }
      case REMOTE -> tryElsewhere(job, route, copyBytes, jobBytes);
      case REJECT -> registry.fail(job, route.reason(), LabelFlightException.Kind.RESOURCE_EXHAUSTED);
    }
  }

  private ChunkSource localChunks() {
    return (m, i, a) -> node.datasets().readChunk(m, i, a);
  }

  private void enqueue(Job job, String why) {
    job.routed(ExecutionPath.QUEUE, why);
    dispatcher.enqueue(job);
  }

  /** Queues a job's chunks that are not done yet. */
  public void toQueue(Job job, String why) {
    if (!job.isRunnable()) {
      return;
    }
    job.pendAllUnfinished();
    if (!job.pending().isEmpty()) {
      LOG.info("job {}: {}", job.id(), why);
      enqueue(job, why);
    }
  }

  /** Carries out a route's fallback after {@code cause} made the route fail. */
  private void fallBack(Job job, Route fallback, Throwable cause, long copyBytes, long jobBytes) {
    LabelFlightException e = BusErrors.toLabelFlight(cause);
    if (fallback == null || !job.isRunnable()) {
      registry.fail(job, e.getMessage(), e.kind());
    } else if (fallback.kind() == Route.Kind.REJECT) {
      registry.fail(job, fallback.reason() + ": " + e.getMessage(), LabelFlightException.Kind.RESOURCE_EXHAUSTED);
    } else if (fallback.kind() == Route.Kind.QUEUE && fallback.copy() == Route.CopyAction.NONE) {
      toQueue(job, fallback.reason() + " (" + e.getMessage() + ")");
    } else {
      carryOut(job, fallback, copyBytes, jobBytes);
    }
  }

  private void awaitCopy(Job job, Future<ResidentPool.ResidentCopy> copy, Route route, long copyBytes, long jobBytes) {
    job.routed(ExecutionPath.RESIDENT, route.reason());
    job.pending().clear();
    awaiting.put(job.id(), job.dataset());
    registry.workStarted(job);
    copy.onComplete(ar -> {
      awaiting.remove(job.id());
      if (job.isRunnable()) {
        if (ar.succeeded()) {
          runHere(job, ar.result(), job.route(), route.fallback());
        } else {
          fallBack(job, route.fallback(), ar.cause(), copyBytes, jobBytes);
        }
      }
      registry.workEnded(job);
    });
  }

  /** Runs a job on this node's ready copy; a failure to admit its label arrays takes the fallback. */
  private void runHere(Job job, ResidentPool.ResidentCopy copy, String why, Route fallback) {
    if (!job.isRunnable()) {
      return;
    }
    if (copy == null) {
      toQueue(job, "the resident copy was evicted: the job runs on the task queue");
      return;
    }
    job.routed(ExecutionPath.RESIDENT, why);
    job.pending().clear();
    residents.use(copy);
    registry.workStarted(job);
    vertx.eventBus().<JsonObject>request(copy.address(), new ResidentRun(job.id(), job.request(), null).toJson(),
        LocalDelivery.timeout(node.taskTimeoutMs())).onComplete(ar -> {
      residents.done(copy);
      if (ar.failed() && job.isRunnable()) {
        LabelFlightException e = BusErrors.toLabelFlight(ar.cause());
        if (e.kind() == LabelFlightException.Kind.RESOURCE_EXHAUSTED && fallback != null) {
          fallBack(job, fallback, e, 0, 0);
        } else {
          registry.fail(job, e.getMessage(), e.kind());
        }
      }
      registry.workEnded(job);
      onRunEnded.run();
    });
  }

  // ---- other nodes' copies ----------------------------------------------------------------------

  /**
   * Looks for another node with a resident copy of the job's dataset (the job runs there) or with room for
   * one (it is asked to load one; when the user forced {@code resident} the job waits for it and runs there,
   * else it runs on the queue meanwhile and later jobs find the copy). Else the route's fallback.
   */
  private void tryElsewhere(Job job, Route route, long copyBytes, long jobBytes) {
    boolean wait = route.copy() == Route.CopyAction.AWAIT;
    hosting.pick(job.dataset(), copyBytes + jobBytes, job.unreachable()).onComplete(ar -> {
      if (!job.isRunnable()) {
        return;
      }
      if (ar.failed() || ar.result() == null) {
        carryOut(job, route.fallback(), copyBytes, jobBytes);
        return;
      }
      CopyHosting.Placement p = ar.result();
      if (p.ready()) {
        runElsewhere(job, p.node(), "a resident copy is on node " + p.node(), wait ? route : null);
        return;
      }
      Future<Void> hosted = hosting.host(p.node(), job.dataset(), p.homeFlight(), copyBytes, jobBytes);
      if (!wait) {
        enqueue(job, route.reason() + ": node " + p.node() + " loads a resident copy for next time; this job runs on"
            + " the task queue meanwhile");
        return;
      }
      String why = "loading a resident copy on node " + p.node() + " (" + RoutingRule.mib(copyBytes) + " MiB)";
      job.routed(ExecutionPath.RESIDENT, why);
      registry.workStarted(job);
      hosted.onComplete(h -> {
        if (job.isRunnable()) {
          if (h.succeeded()) {
            runElsewhere(job, p.node(), why, route);
          } else {
            LOG.info("node {} could not hold {}: {}", p.node(), job.dataset(), h.cause().toString());
            // Not asked again for this job; the next node with room is tried (the directory may still list
            // a node that just died).
            job.unreachable().add(p.node());
            tryElsewhere(job, route, copyBytes, jobBytes);
          }
        }
        registry.workEnded(job);
      });
    });
  }

  /**
   * Runs a job on {@code host}'s copy; its chunks' outcomes arrive through the chunk lending. A host that
   * went away before the directory said so is skipped for a forced job ({@code retry}); other failures
   * run the rest on the queue.
   */
  private void runElsewhere(Job job, String host, String why, Route retry) {
    if (!job.isRunnable()) {
      return;
    }
    job.routed(ExecutionPath.RESIDENT, why);
    job.pending().clear();
    remoteRuns.put(job.id(), host);
    registry.workStarted(job);
    hosting.run(host, new RemoteRun(job.id(), job.request(), node.nodeId(), job.dataset())).onComplete(ar -> {
      if (remoteRuns.remove(job.id()) == null) {
        return;
      }
      if (job.isRunnable()) {
        if (ar.failed() && retry != null && job.mode() == ExecutionMode.RESIDENT && job.chunksDone() == 0
            && ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
          job.unreachable().add(host);
          long copyBytes = ResidentFootprint.of(job.manifest());
          long jobBytes = ResidentDataset.labelBytesPerChunk(job.manifest(), job.lfs(), node.execution().estimateScale());
          tryElsewhere(job, new Route(Route.Kind.REMOTE, Route.CopyAction.AWAIT, retry.reason(),
              Route.queue("no other node could hold a resident copy: the job runs on the task queue")), copyBytes, jobBytes);
        } else if (ar.failed()) {
          toQueue(job, "the resident copy on node " + host + " failed ("
              + BusErrors.toLabelFlight(ar.cause()).getMessage() + "): the rest runs on the task queue");
        } else {
          // Every chunk's outcome was sent before this reply; if some never arrives, run those chunks here.
          vertx.setTimer(MISSING_OUTCOMES_MS, t -> {
            if (job.isRunnable() && !remoteRuns.containsKey(job.id())) {
              toQueue(job, "outcomes from node " + host + " missing: the rest runs on the task queue");
            }
          });
        }
      }
      registry.workEnded(job);
    });
  }

  /** A node left: jobs running on the copy it held continue on the queue here. */
  public void nodeLeft(String gone) {
    for (Map.Entry<String, String> run : List.copyOf(remoteRuns.entrySet())) {
      Job job = registry.find(run.getKey());
      if (run.getValue().equals(gone)) {
        remoteRuns.remove(run.getKey());
        if (job != null) {
          toQueue(job, "node " + gone + " that held the resident copy left: the rest runs on the task queue");
          registry.workEnded(job);
        }
      }
    }
  }

  private void stopping(Job job) {
    DatasetRef waitingFor = awaiting.get(job.id());
    if (waitingFor != null) {
      residents.leave(waitingFor, job.id());
    }
    String host = remoteRuns.get(job.id());
    if (host != null) {
      vertx.eventBus().send(Addresses.stopJob(host), new StopJob(job.id(), job.token().reason(),
          job.stopMessage()).toJson());
    }
  }

  private void overdue(Job job) {
    if (remoteRuns.remove(job.id()) != null) {
      registry.workEnded(job);
    }
  }
}
