package dev.labelflight.verticles.job;

import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.node.JobTokens;
import dev.labelflight.verticles.worker.ChunkReport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jobs of this node: their state, progress and the end of their lives. It admits a job (at most
 * {@code maxRunningPerUser} running per user), records finished chunks, answers progress waits, and stops
 * jobs: cancel, the job timeout, a dropped dataset, shutdown, or a failed chunk. Stopping a job cancels
 * its {@link CancelToken} (every chunk of it stops at its next check) and drops its pending chunks; the
 * job keeps state RUNNING, with {@code stopping} in its status, until the work of it that runs now
 * ({@link #workStarted}/{@link #workEnded}) has ended, and only then becomes CANCELLED or FAILED. A stop
 * whose work has not ended within {@code stopWaitMs} is answered as it is (still stopping), and the parts
 * that hold work on other nodes are told to forget it ({@link #onStopOverdue}). Finished jobs are kept
 * up to {@code retained}, then forgotten with their labels.
 *
 * <p>Event-loop only (the coordinator's context); timers and publishing go through its {@link Vertx}.
 */
public final class JobRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(JobRegistry.class);
  private static final long AWAIT_MAX_MS = 10_000;

  /**
   * Config of the {@code jobs} section: finished jobs kept; running jobs per user (0: no limit); the job
   * timeout (0: none); how long a stop waits for the job's running chunks before it answers.
   */
  public record Settings(int retained, int maxRunningPerUser, long timeoutMs, long stopWaitMs) {
    public static final long DEFAULT_STOP_WAIT_MS = 5_000;

    public static Settings fromConfig(JsonObject jobs) {
      return new Settings(jobs.getInteger("retained", 1000), jobs.getInteger("maxRunningPerUser", 0),
          jobs.getLong("timeoutMs", 0L), jobs.getLong("stopWaitMs", DEFAULT_STOP_WAIT_MS));
    }
  }

  private record Waiter(Message<?> message, int after, long timer) {}

  private final Vertx vertx;
  private final JobTokens tokens;
  private final Settings settings;
  private final Consumer<String> deleteLabels;
  private final LongConsumer chunkNanos;
  private final Map<String, Job> jobs = new HashMap<>();
  private final ArrayDeque<String> finishedOrder = new ArrayDeque<>();
  private final Map<String, Long> timeouts = new HashMap<>();
  private final Map<String, List<Waiter>> waiters = new HashMap<>();
  private final Map<String, List<Promise<Job>>> stops = new HashMap<>();
  private final List<Consumer<Job>> stoppingListeners = new ArrayList<>();
  private final List<Consumer<Job>> overdueListeners = new ArrayList<>();

  /**
   * @param deleteLabels deletes a forgotten job's label files (blocking; run on a worker)
   * @param chunkNanos hears the evaluation time of every finished chunk (metrics)
   */
  public JobRegistry(Vertx vertx, JobTokens tokens, Settings settings, Consumer<String> deleteLabels,
      LongConsumer chunkNanos) {
    this.vertx = vertx;
    this.tokens = tokens;
    this.settings = settings;
    this.deleteLabels = deleteLabels;
    this.chunkNanos = chunkNanos;
  }

  public Settings settings() {
    return settings;
  }

  /** Called when a job is asked to stop (its token is cancelled already): tell the work it has elsewhere. */
  public void onStopping(Consumer<Job> listener) {
    stoppingListeners.add(listener);
  }

  /** Called when a stopping job's work has not ended within {@code stopWaitMs}: forget work on other nodes. */
  public void onStopOverdue(Consumer<Job> listener) {
    overdueListeners.add(listener);
  }

  /**
   * Takes a prepared job in, or refuses it (RESOURCE_EXHAUSTED) when its user runs as many jobs as
   * allowed. Its token must have been opened in the node's {@link JobTokens}; the registry closes it when
   * the job ends (or here, when refused).
   */
  public void admit(Job job) {
    long running = jobs.values().stream().filter(j -> !j.isTerminal() && j.user().equals(job.user())).count();
    if (settings.maxRunningPerUser() > 0 && running >= settings.maxRunningPerUser()) {
      tokens.close(job.id());
      throw LabelFlightException.exhausted("user '" + job.user() + "' already runs " + running
          + " jobs, the limit of jobs.maxRunningPerUser; wait for one to end or cancel one");
    }
    jobs.put(job.id(), job);
    if (job.isTerminal()) {
      ended(job);
      return;
    }
    if (settings.timeoutMs() > 0) {
      timeouts.put(job.id(), vertx.setTimer(settings.timeoutMs(), t -> {
        timeouts.remove(job.id());
        stop(job, JobState.FAILED, CancelToken.Reason.TIMED_OUT, "timed out: the job ran longer than jobs.timeoutMs = "
            + settings.timeoutMs() + " ms; its running chunks were stopped", LabelFlightException.Kind.TIMED_OUT);
      }));
    }
  }

  /** The job, or null if this node has none of that id (any more). */
  public Job find(String id) {
    return jobs.get(id);
  }

  public Collection<Job> jobs() {
    return jobs.values();
  }

  /** Records a finished chunk and tells whoever waits; ignored for unknown or ended jobs and repeats. */
  public void chunkDone(ChunkReport report) {
    Job job = jobs.get(report.job());
    if (job != null && job.chunkDone(report)) {
      chunkNanos.accept(report.evalNanos());
      progressed(job);
    }
  }

  /** One more piece of the job's work runs now (a chunk task, a resident run, a lent task, an admission). */
  public void workStarted(Job job) {
    job.running++;
  }

  /** A piece of the job's work ended; a stopping job ends once none is left. */
  public void workEnded(Job job) {
    job.running = Math.max(0, job.running - 1);
    maybeEnd(job);
  }

  /** A chunk of the job failed for good: the job stops and then fails with {@code message}. */
  public void fail(Job job, String message, LabelFlightException.Kind kind) {
    if (job.isRunnable()) {
      LOG.warn("job {} fails: {}", job.id(), message);
    }
    stop(job, JobState.FAILED, CancelToken.Reason.CANCELLED, message, kind);
  }

  /** Cancels a job by request; completes with its status once its running chunks returned (or the wait ran out). */
  public Future<JsonObject> cancel(Job job) {
    return stop(job, JobState.CANCELLED, CancelToken.Reason.CANCELLED, "cancelled by request",
        LabelFlightException.Kind.CANCELLED).map(Job::status);
  }

  /**
   * Asks a job to stop: its token is cancelled with {@code reason}, its pending chunks dropped, and once no
   * work of it runs it becomes {@code end} with {@code message}. The first stop wins. Completes with the
   * job when it ended, or after {@code stopWaitMs} as it is then.
   */
  public Future<Job> stop(Job job, JobState end, CancelToken.Reason reason, String message,
      LabelFlightException.Kind kind) {
    if (job.isTerminal()) {
      return Future.succeededFuture(job);
    }
    Promise<Job> answered = Promise.promise();
    stops.computeIfAbsent(job.id(), k -> new ArrayList<>()).add(answered);
    if (job.stop == null) {
      job.stop = new Job.Stop(end, reason, message, kind);
      job.pending().clear();
      job.token().cancel(reason, message);
      stoppingListeners.forEach(l -> l.accept(job));
      progressed(job);
    }
    maybeEnd(job);
    if (!job.isTerminal()) {
      vertx.setTimer(Math.max(1, settings.stopWaitMs()), t -> {
        if (!job.isTerminal()) {
          LOG.warn("job {}: {} chunk tasks still running {} ms after it was asked to stop ({})", job.id(),
              job.running, settings.stopWaitMs(), message);
          overdueListeners.forEach(l -> l.accept(job));
          maybeEnd(job);
        }
        answered.tryComplete(job);
      });
    }
    return answered.future();
  }

  /** Stops every job {@code which} selects (see {@link #stop}); completes when all are answered. */
  public Future<Void> stopAll(Predicate<Job> which, JobState end, CancelToken.Reason reason, String message,
      LabelFlightException.Kind kind) {
    List<Future<Job>> all = new ArrayList<>();
    for (Job job : List.copyOf(jobs.values())) {
      if (!job.isTerminal() && which.test(job)) {
        all.add(stop(job, end, reason, message, kind));
      }
    }
    return Future.join(all).mapEmpty();
  }

  private void maybeEnd(Job job) {
    if (job.stop != null && job.running <= 0 && !job.isTerminal()) {
      job.finish(job.stop.end(), job.stop.message(), job.stop.kind());
      progressed(job);
    }
  }

  /** Replies to {@code message} with the job's progress once more than {@code after} leading chunks are done (at most 10 s). */
  public void awaitProgress(Job job, int after, Message<?> message) {
    if (job.isTerminal() || job.contiguousDone() > after) {
      message.reply(job.progress(after));
      return;
    }
    List<Waiter> list = waiters.computeIfAbsent(job.id(), k -> new ArrayList<>());
    long[] timer = new long[1];
    timer[0] = vertx.setTimer(AWAIT_MAX_MS, t -> {
      List<Waiter> current = waiters.get(job.id());
      if (current != null && current.removeIf(w -> w.timer() == timer[0])) {
        message.reply(job.progress(after));
      }
    });
    list.add(new Waiter(message, after, timer[0]));
  }

  /** Publishes the job's status, answers the progress waits it satisfies, and ends its bookkeeping if it ended. */
  public void progressed(Job job) {
    vertx.eventBus().publish(Addresses.job(job.id()), job.status());
    List<Waiter> list = waiters.get(job.id());
    if (list != null) {
      list.removeIf(w -> {
        if (job.isTerminal() || job.contiguousDone() > w.after()) {
          vertx.cancelTimer(w.timer());
          w.message().reply(job.progress(w.after()));
          return true;
        }
        return false;
      });
      if (list.isEmpty()) {
        waiters.remove(job.id());
      }
    }
    if (job.isTerminal()) {
      ended(job);
    }
  }

  private void ended(Job job) {
    if (job.retired) {
      return;
    }
    job.retired = true;
    Long timer = timeouts.remove(job.id());
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
    tokens.close(job.id());
    List<Promise<Job>> answered = stops.remove(job.id());
    if (answered != null) {
      answered.forEach(p -> p.tryComplete(job));
    }
    LOG.info("job {} {} on the {} ({} of {} chunks){}", job.id(), job.state(), job.path().wireName(),
        job.chunksDone(), job.chunks(), job.error == null ? "" : ": " + job.error);
    finishedOrder.add(job.id());
    while (finishedOrder.size() > settings.retained()) {
      String old = finishedOrder.poll();
      jobs.remove(old);
      tokens.forget(old);
      vertx.executeBlocking(() -> {
        deleteLabels.accept(old);
        return null;
      }, false);
    }
  }

  /** Jobs by {@code STATE/path} and queued chunk tasks per user (0 for users with only retained jobs), for metrics. */
  public JsonObject stats() {
    JsonObject jobCounts = new JsonObject();
    JsonObject queueDepth = new JsonObject();
    for (Job job : jobs.values()) {
      String key = job.state().name() + "/" + job.path().wireName();
      jobCounts.put(key, jobCounts.getLong(key, 0L) + 1);
      long queued = job.isRunnable() && job.path() == ExecutionPath.QUEUE ? job.pending().size() : 0;
      queueDepth.put(job.user(), queueDepth.getLong(job.user(), 0L) + queued);
    }
    return new JsonObject().put("jobs", jobCounts).put("queueDepth", queueDepth);
  }
}
