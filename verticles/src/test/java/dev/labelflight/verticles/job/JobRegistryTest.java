package dev.labelflight.verticles.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.apply.ExecutionMode;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.verticles.OnContext;
import dev.labelflight.verticles.node.JobTokens;
import dev.labelflight.verticles.worker.ChunkReport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The job registry's state transitions, in process: cancel, timeout, the stop wait, the per-user limit. */
@ExtendWith(VertxExtension.class)
class JobRegistryTest {
  private final JobTokens tokens = new JobTokens();
  private final List<String> overdue = new ArrayList<>();

  private JobRegistry registry(Vertx vertx, OnContext on, JobRegistry.Settings settings) throws Exception {
    return on.call(() -> {
      JobRegistry registry = new JobRegistry(vertx, tokens, settings, id -> { }, nanos -> { });
      registry.onStopOverdue(job -> overdue.add(job.id()));
      return registry;
    });
  }

  private Job admitted(OnContext on, JobRegistry registry, String id, String user, int chunks) throws Exception {
    Job job = Jobs.job(id, user, chunks, ExecutionMode.QUEUE, tokens.open(id));
    on.run(() -> registry.admit(job));
    return job;
  }

  private static ChunkReport report(String job, int chunk) {
    return new ChunkReport(job, chunk, 10, 100, 7, 1_000, new int[] {0}, Map.of(), 0, "node");
  }

  /**
   * Verifies that cancelling a job with a chunk running cancels its token at once but answers, and makes
   * the job CANCELLED, only once that chunk returned; a finished chunk arriving meanwhile is not counted.
   */
  @Test
  void cancelEndsTheJobOnceItsRunningChunkReturned(Vertx vertx) throws Exception {
    OnContext on = new OnContext(vertx);
    JobRegistry registry = registry(vertx, on, new JobRegistry.Settings(10, 0, 0, 10_000));
    Job job = admitted(on, registry, "j1", "ann", 4);
    on.run(() -> registry.workStarted(job));
    on.run(() -> registry.chunkDone(report("j1", 0)));
    Future<JsonObject> answer = on.call(() -> registry.cancel(job));
    assertTrue(job.token().isCancelled(), "the chunk sees the cancel at its next check");
    assertEquals(CancelToken.Reason.CANCELLED, job.token().reason());
    assertFalse(answer.isComplete(), "no answer while the chunk runs");
    JsonObject stopping = on.call(job::status);
    assertEquals("RUNNING", stopping.getString("state"));
    assertEquals("cancelled by request", stopping.getString("stopping"));
    assertTrue(on.call(() -> job.pending().isEmpty()), "pending chunks are dropped");
    on.run(() -> registry.chunkDone(report("j1", 1)));
    on.run(() -> registry.workEnded(job));
    JsonObject status = OnContext.await(answer);
    assertEquals("CANCELLED", status.getString("state"));
    assertEquals(1, status.getInteger("chunksDone"), "chunks done after the cancel do not count");
    assertEquals(0, tokens.openCount(), "the job's token is closed");
  }

  /** Verifies that a job with nothing running (waiting in the queue) is CANCELLED at once. */
  @Test
  void cancelOfAQueuedJobIsImmediate(Vertx vertx) throws Exception {
    OnContext on = new OnContext(vertx);
    JobRegistry registry = registry(vertx, on, new JobRegistry.Settings(10, 0, 0, 10_000));
    Job job = admitted(on, registry, "j1", "ann", 4);
    assertEquals("CANCELLED", OnContext.await(on.call(() -> registry.cancel(job))).getString("state"));
    assertEquals("CANCELLED", OnContext.await(on.call(() -> registry.cancel(job))).getString("state"), "idempotent");
  }

  /**
   * Verifies that the job timeout cancels the token with TIMED_OUT and the job FAILS (saying it timed out)
   * once its running chunk returned.
   */
  @Test
  void timeoutStopsTheJobThenFailsIt(Vertx vertx) throws Exception {
    OnContext on = new OnContext(vertx);
    JobRegistry registry = registry(vertx, on, new JobRegistry.Settings(10, 0, 100, 10_000));
    Job job = admitted(on, registry, "j1", "ann", 4);
    on.run(() -> registry.workStarted(job));
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!job.token().isCancelled() && System.nanoTime() < deadline) {
      OnContext.pause(vertx, 10);
    }
    assertEquals(CancelToken.Reason.TIMED_OUT, job.token().reason());
    assertEquals(JobState.RUNNING, on.call(job::state), "still running while its chunk runs");
    on.run(() -> registry.workEnded(job));
    JsonObject status = on.call(job::status);
    assertEquals("FAILED", status.getString("state"));
    assertEquals("TIMED_OUT", status.getString("errorKind"));
    assertTrue(status.getString("error").contains("timed out"), status.getString("error"));
  }

  /**
   * Verifies that a stop whose work does not end within the stop wait is answered as it is (still
   * stopping), tells the parts holding work elsewhere to forget it, and ends the job when it returns.
   */
  @Test
  void stopWaitIsBounded(Vertx vertx) throws Exception {
    OnContext on = new OnContext(vertx);
    JobRegistry registry = registry(vertx, on, new JobRegistry.Settings(10, 0, 0, 200));
    Job job = admitted(on, registry, "j1", "ann", 4);
    on.run(() -> registry.workStarted(job));
    long started = System.nanoTime();
    JsonObject answer = OnContext.await(on.call(() -> registry.cancel(job)));
    long waitedMs = (System.nanoTime() - started) / 1_000_000;
    assertEquals("RUNNING", answer.getString("state"), answer.encode());
    assertEquals("cancelled by request", answer.getString("stopping"));
    assertTrue(waitedMs >= 150 && waitedMs < 5_000, "answered after the 200 ms stop wait: " + waitedMs);
    assertEquals(List.of("j1"), overdue);
    on.run(() -> registry.workEnded(job));
    assertEquals(JobState.CANCELLED, on.call(job::state));
  }

  /** Verifies that a user's apply beyond jobs.maxRunningPerUser is refused while another user's is taken. */
  @Test
  void runningJobsPerUserAreBounded(Vertx vertx) throws Exception {
    OnContext on = new OnContext(vertx);
    JobRegistry registry = registry(vertx, on, new JobRegistry.Settings(10, 1, 0, 1_000));
    Job first = admitted(on, registry, "j1", "ann", 2);
    Exception refused = assertThrows(Exception.class, () -> admitted(on, registry, "j2", "ann", 2));
    LabelFlightException e = (LabelFlightException) (refused.getCause() != null ? refused.getCause() : refused);
    assertEquals(LabelFlightException.Kind.RESOURCE_EXHAUSTED, e.kind());
    assertTrue(e.getMessage().contains("jobs.maxRunningPerUser"), e.getMessage());
    admitted(on, registry, "j3", "bob", 2);
    on.run(() -> registry.chunkDone(report("j1", 0)));
    on.run(() -> registry.chunkDone(report("j1", 1)));
    assertEquals(JobState.SUCCEEDED, on.call(first::state));
    admitted(on, registry, "j4", "ann", 2);
  }

  /** Verifies that a failed chunk stops the job's other running chunks and fails it once they returned. */
  @Test
  void aFailedChunkStopsTheOthersThenFailsTheJob(Vertx vertx) throws Exception {
    OnContext on = new OnContext(vertx);
    JobRegistry registry = registry(vertx, on, new JobRegistry.Settings(10, 0, 0, 10_000));
    Job job = admitted(on, registry, "j1", "ann", 4);
    on.run(() -> registry.workStarted(job));
    on.run(() -> registry.workStarted(job));
    on.run(() -> registry.fail(job, "chunk 1: LF 'x' failed", LabelFlightException.Kind.INVALID_ARGUMENT));
    on.run(() -> registry.workEnded(job));
    assertTrue(job.token().isCancelled());
    assertEquals(JobState.RUNNING, on.call(job::state));
    on.run(() -> registry.workEnded(job));
    JsonObject status = on.call(job::status);
    assertEquals("FAILED", status.getString("state"));
    assertEquals("chunk 1: LF 'x' failed", status.getString("error"));
    assertEquals("INVALID_ARGUMENT", status.getString("errorKind"));
  }
}
