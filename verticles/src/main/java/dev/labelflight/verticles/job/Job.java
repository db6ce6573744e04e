package dev.labelflight.verticles.job;

import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.Manifest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.List;

/** One apply job as the coordinator tracks it: its chunk tasks, which are done, its path and state. Event-loop only. */
final class Job {
  /** Lifecycle of a job. */
  enum State { RUNNING, SUCCEEDED, FAILED, CANCELLED }

  final String id;
  final Manifest manifest;
  final ChunkLabeler.JobLfs lfs;
  final List<String> lfNames;
  /** The job's class names (its label space), for analysis and label models. */
  final List<String> classes;
  final String request;
  final String user;
  final String mode;
  final ArrayDeque<Integer> pending = new ArrayDeque<>();
  final AtomicFiles.Written[] files;
  final Instant created = Instant.now();
  final BitSet computedLfs = new BitSet();
  /** Chunks that failed on a node that borrowed them: they run here next, where the data is. */
  final BitSet keepLocal = new BitSet();
  /** Nodes found gone while placing this job's resident copy: not asked again for it. */
  final java.util.Set<String> unreachable = new java.util.HashSet<>();
  /** Chunks finished per node that ran them (this node, or nodes that borrowed tasks). */
  final java.util.Map<String, Integer> chunksByNode = new java.util.TreeMap<>();
  /** Faults of fault-tolerant LFs summed over finished chunks, by LF position (each chunk counted once). */
  final long[] faults;
  State state = State.RUNNING;
  /** "queue" or "resident" once routed, and why. */
  String path = "pending";
  String route = "";
  String error;
  int done;
  int contiguousDone;
  long rowsDone;
  long evalNanos;
  long lfChunkEvaluations;
  int retries;
  Instant finished;

  Job(String id, Manifest manifest, ChunkLabeler.JobLfs lfs, String request, String user, String mode) {
    this.id = id;
    this.manifest = manifest;
    this.lfs = lfs;
    this.lfNames = lfs.names();
    this.request = request;
    this.classes = lfs.labels().names();
    this.user = user;
    this.mode = mode;
    this.files = new AtomicFiles.Written[manifest.chunks().size()];
    this.faults = new long[lfNames.size()];
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

  void routed(String path, String why) {
    this.path = path;
    this.route = why;
  }

  /** Records a finished chunk from a worker's or resident's report; returns false if already recorded or the job ended. */
  boolean chunkDone(JsonObject report) {
    int chunk = report.getInteger("chunk");
    if (isTerminal() || chunk < 0 || chunk >= files.length || files[chunk] != null) {
      return false;
    }
    files[chunk] = new AtomicFiles.Written(report.getLong("bytes"), report.getLong("crc32c"));
    done++;
    rowsDone += report.getInteger("rows");
    chunksByNode.merge(report.getString("node", "?"), 1, Integer::sum);
    evalNanos += report.getLong("evalNanos", 0L);
    retries += report.getInteger("retries", 0);
    JsonArray computed = report.getJsonArray("computed", new JsonArray());
    lfChunkEvaluations += computed.size();
    for (int i = 0; i < computed.size(); i++) {
      computedLfs.set(computed.getInteger(i));
    }
    report.getJsonObject("faults", new JsonObject()).forEach(f -> faults[Integer.parseInt(f.getKey())] +=
        ((Number) f.getValue()).longValue());
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
    JsonArray computed = new JsonArray();
    computedLfs.stream().forEach(i -> computed.add(lfNames.get(i)));
    JsonObject json = new JsonObject()
        .put("job", id)
        .put("state", state.name())
        .put("dataset", DatasetNames.display(manifest.name()))
        .put("datasetKey", manifest.name())
        .put("version", manifest.version())
        .put("user", user)
        .put("mode", mode)
        .put("path", path)
        .put("route", route)
        .put("lfs", new JsonArray(lfNames))
        .put("classes", new JsonArray(classes))
        .put("multiLabel", lfs.labels().multiLabel())
        .put("lfClasses", new JsonArray(java.util.Arrays.stream(lfs.lfClasses()).boxed().toList()))
        .put("computedLfs", computed)
        .put("lfChunkEvaluations", lfChunkEvaluations)
        .put("faults", faultsByName())
        .put("retries", retries)
        .put("chunksDone", done)
        .put("chunksTotal", files.length)
        .put("chunksByNode", new JsonObject(new java.util.LinkedHashMap<>(chunksByNode)))
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

  /** Faults by LF name, for the LFs that had any (Snorkel's {@code ApplierMetadata.faults}). */
  private JsonObject faultsByName() {
    JsonObject out = new JsonObject();
    for (int i = 0; i < faults.length; i++) {
      if (faults[i] > 0) {
        out.put(lfNames.get(i), faults[i]);
      }
    }
    return out;
  }

  /** Status plus the payload size and checksum of the leading finished chunks from {@code from}, for streaming them. */
  JsonObject progress(int from) {
    JsonArray chunkFiles = new JsonArray();
    for (int i = Math.max(0, from); i < contiguousDone; i++) {
      chunkFiles.add(new JsonObject().put("chunk", i).put("bytes", files[i].bytes()).put("crc32c", files[i].crc32c()));
    }
    return status().put("files", chunkFiles);
  }
}
