package dev.labelflight.pyworkers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.cancel.CancelToken;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;

/**
 * One chunk through one worker, watched: the task is sent, the worker's reply read while the watchdog may kill
 * it (cancel, timeout, memory); the outcome is the label columns or a {@link WorkerFailure}.
 */
record TaskRun(byte[][] labels, WorkerFailure failure) {

  static TaskRun run(PythonWorkerPool pool, WorkerProcess worker, Path file, int rows, long firstRow, CancelToken token) {
    LfSetWorkers set = worker.set();
    PythonWorkersConfig config = pool.config();
    long limit = pool.limitBytes(set);
    ObjectNode task = Frame.newHeader();
    task.put("op", "run");
    task.put("path", file.toString());
    task.put("rows", rows);
    task.put("firstRow", firstRow);
    task.put("classes", set.classes);
    Frame reply;
    try (TaskWatchdog.Watch watch = pool.watchdog().watch(worker.process(), token,
        System.nanoTime() + config.taskTimeoutMs() * 1_000_000, worker.baselineRss(), limit)) {
      try {
        reply = worker.call(Frame.of(task));
      } catch (IOException e) {
        return new TaskRun(null, whyDead(worker, watch, token, firstRow, limit, config));
      }
    }
    if (!reply.header().path("ok").asBoolean()) {
      return new TaskRun(null, WorkerFailure.fromReply(reply.header().path("error"), set, "python", limit));
    }
    return new TaskRun(decode(pool, reply.body(), set.functions.size(), rows), null);
  }

  private static WorkerFailure whyDead(WorkerProcess worker, TaskWatchdog.Watch watch, CancelToken token, long firstRow,
      long limit, PythonWorkersConfig config) {
    // The reason is set before the kill: a dead stream with a reason is the watchdog's doing.
    TaskWatchdog.Reason reason = watch.reason();
    List<dev.labelflight.engine.lf.python.PythonFunction> fns = worker.set().functions;
    int at = worker.lf();
    String lf = fns.get(at >= 0 && at < fns.size() ? at : 0).name();
    long row = firstRow + worker.row();
    if (reason == TaskWatchdog.Reason.CANCELLED) {
      token.throwIfCancelled();
    }
    if (reason == TaskWatchdog.Reason.TIMED_OUT) {
      // The task's own deadline, or the job's (its token says which).
      token.throwIfCancelled();
      return WorkerFailure.timedOut(lf, row, config.taskTimeoutMs());
    }
    if (reason == TaskWatchdog.Reason.MEMORY) {
      return WorkerFailure.memory(lf, watch.usedBytes(), limit);
    }
    return WorkerFailure.died(lf, row);
  }

  /** The worker's Arrow IPC stream: one int8 column per LF, as class indexes, -1 abstain, -2 fault. */
  private static byte[][] decode(PythonWorkerPool pool, byte[] body, int lfs, int rows) {
    byte[][] out = new byte[lfs][];
    try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayReadableSeekableByteChannel(body), pool.allocator())) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      if (!reader.loadNextBatch() || root.getRowCount() != rows || root.getFieldVectors().size() != lfs) {
        throw new IOException("reply has " + root.getRowCount() + " rows and " + root.getFieldVectors().size()
            + " columns; expected " + rows + " and " + lfs);
      }
      for (int i = 0; i < lfs; i++) {
        TinyIntVector v = (TinyIntVector) root.getVector(i);
        byte[] column = new byte[rows];
        v.getDataBuffer().getBytes(0, column);
        out[i] = column;
      }
    } catch (IOException | RuntimeException e) {
      throw dev.labelflight.engine.error.LabelFlightException.internal("unreadable labels from a Python worker: " + e, e);
    }
    return out;
  }
}
