package dev.labelflight.verticles.job;

import dev.labelflight.engine.apply.ApplyRequest;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.Manifest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;

/** One apply job as the coordinator tracks it: its chunk tasks, which are done, and its state. Event-loop only. */
final class Job {
  /** Lifecycle of a job. */
  enum State { RUNNING, SUCCEEDED, FAILED, CANCELLED }

  final String id;
  final Manifest manifest;
  final List<String> lfNames;
  /** The job's class names (its label space), for analysis and label models. */
  final List<String> classes;
  final String request;
  final ArrayDeque<Integer> pending = new ArrayDeque<>();
  final AtomicFiles.Written[] files;
  final Instant created = Instant.now();
  State state = State.RUNNING;
  String error;
  int done;
  int contiguousDone;
  long rowsDone;
  long evalNanos;
  Instant finished;

  Job(String id, Manifest manifest, List<String> lfNames, String request) {
    this.id = id;
    this.manifest = manifest;
    this.lfNames = List.copyOf(lfNames);
    this.request = request;
    this.classes = ApplyRequest.parse(request).labels().names();
    this.files = new AtomicFiles.Written[manifest.chunks().size()];
    for (int i = 0; i < files.length; i++) {
      pending.add(i);
    }
    if (files.length == 0) {
      finish(State.SUCCEEDED, null);
    }
  }

  int chunks() {
    return files.length;
  }

  boolean isTerminal() {
    return state != State.RUNNING;
  }

  /** Records a finished chunk; returns false if it was already recorded or the job ended. */
  boolean chunkDone(int chunk, AtomicFiles.Written file, int rows, long nanos) {
    if (isTerminal() || files[chunk] != null) {
      return false;
    }
    files[chunk] = file;
    done++;
    rowsDone += rows;
    evalNanos += nanos;
    while (contiguousDone < files.length && files[contiguousDone] != null) {
      contiguousDone++;
    }
    if (done == files.length) {
      finish(State.SUCCEEDED, null);
    }
    return true;
  }

  void finish(State end, String reason) {
    if (isTerminal()) {
      return;
    }
    state = end;
    error = reason;
    finished = Instant.now();
    pending.clear();
  }

  JsonObject status() {
    JsonObject json = new JsonObject()
        .put("job", id)
        .put("state", state.name())
        .put("dataset", manifest.name())
        .put("version", manifest.version())
        .put("path", "queue")
        .put("lfs", new JsonArray(lfNames))
        .put("classes", new JsonArray(classes))
        .put("chunksDone", done)
        .put("chunksTotal", files.length)
        .put("contiguousDone", contiguousDone)
        .put("rowsDone", rowsDone)
        .put("rowsTotal", manifest.rows())
        .put("evalMillis", evalNanos / 1_000_000)
        .put("created", created.toString());
    if (finished != null) {
      json.put("finished", finished.toString());
      json.put("elapsedMillis", finished.toEpochMilli() - created.toEpochMilli());
    }
    if (error != null) {
      json.put("error", error);
    }
    return json;
  }

  /** Status plus the size and checksum of the leading finished chunks from {@code from}, for streaming them. */
  JsonObject progress(int from) {
    JsonArray chunkFiles = new JsonArray();
    for (int i = Math.max(0, from); i < contiguousDone; i++) {
      chunkFiles.add(new JsonObject().put("chunk", i).put("bytes", files[i].bytes()).put("crc32c", files[i].crc32c()));
    }
    return status().put("files", chunkFiles);
  }
}
