package dev.labelflight.verticles.job;

import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.apply.ExecutionMode;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.DatasetRef;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.worker.ChunkReport;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One apply job as its home node tracks it: its chunks (pending, done with their payloads), where it runs
 * and why, its state, and the work of it that runs now ({@link #running()}: chunk tasks, resident runs,
 * lent tasks, admissions), which a stop waits for. Only the {@link JobRegistry} changes its state; the
 * other parts read it and take its pending chunks. Event-loop only.
 */
public final class Job {
  /** Why the job was asked to stop, and the state it takes once its work has stopped. */
  record Stop(JobState end, CancelToken.Reason reason, String message, LabelFlightException.Kind kind) {}

  private final String id;
  private final Manifest manifest;
  private final DatasetRef dataset;
  private final ChunkLabeler.JobLfs lfs;
  private final List<String> lfNames;
  private final List<String> classes;
  private final String request;
  private final String user;
  private final ExecutionMode mode;
  private final CancelToken token;
  private final ArrayDeque<Integer> pending = new ArrayDeque<>();
  private final AtomicFiles.Written[] files;
  private final Instant created = Instant.now();
  private final BitSet computedLfs = new BitSet();
  private final BitSet keepLocal = new BitSet();
  private final Set<String> unreachable = new HashSet<>();
  private final Map<String, Integer> chunksByNode = new TreeMap<>();
  private final long[] faults;
  JobState state = JobState.RUNNING;
  Stop stop;
  private ExecutionPath path = ExecutionPath.PENDING;
  private String route = "";
  String error;
  LabelFlightException.Kind errorKind;
  private int done;
  private int contiguousDone;
  private long rowsDone;
  private long evalNanos;
  private long lfChunkEvaluations;
  private int retries;
  int running;
  /** Set once the registry did its end-of-life bookkeeping. */
  boolean retired;
  Instant finished;

  public Job(String id, Manifest manifest, ChunkLabeler.JobLfs lfs, String request, String user, ExecutionMode mode,
      CancelToken token) {
    this.id = id;
    this.manifest = manifest;
    this.dataset = DatasetRef.of(manifest);
    this.lfs = lfs;
    this.lfNames = lfs.names();
    this.request = request;
    this.classes = lfs.labels().names();
    this.user = user;
    this.mode = mode;
    this.token = token;
    this.files = new AtomicFiles.Written[manifest.chunks().size()];
    this.faults = new long[lfNames.size()];
    for (int i = 0; i < files.length; i++) {
      pending.add(i);
    }
    if (files.length == 0) {
      finish(JobState.SUCCEEDED, null, null);
    }
  }

  public String id() {
    return id;
  }

  public Manifest manifest() {
    return manifest;
  }

  public DatasetRef dataset() {
    return dataset;
  }

  public ChunkLabeler.JobLfs lfs() {
    return lfs;
  }

  /** The apply body as the user sent it (workers compile its LFs). */
  public String request() {
    return request;
  }

  public String user() {
    return user;
  }

  public ExecutionMode mode() {
    return mode;
  }

  /** Cancelled when the job is asked to stop; bound to every chunk evaluation of the job on this node. */
  public CancelToken token() {
    return token;
  }

  public int chunks() {
    return files.length;
  }

  public JobState state() {
    return state;
  }

  public boolean isTerminal() {
    return state.isTerminal();
  }

  /** Asked to stop and waiting for its running work to end. */
  public boolean isStopping() {
    return stop != null && !isTerminal();
  }

  /** Why the job was asked to stop, or null. */
  public String stopMessage() {
    return stop == null ? null : stop.message();
  }

  /** Neither ended nor stopping: its chunks may be handed out. */
  public boolean isRunnable() {
    return !isTerminal() && stop == null;
  }

  /** Chunks waiting to be handed out (the dispatcher takes them from the front). */
  public ArrayDeque<Integer> pending() {
    return pending;
  }

  public boolean isDone(int chunk) {
    return files[chunk] != null;
  }

  /** Chunks that failed on a node that borrowed them: they run here next, where the data is. */
  public BitSet keepLocal() {
    return keepLocal;
  }

  /** Nodes found gone while placing this job's resident copy: not asked again for it. */
  public Set<String> unreachable() {
    return unreachable;
  }

  public ExecutionPath path() {
    return path;
  }

  public String route() {
    return route;
  }

  /** Work of this job running now. */
  public int running() {
    return running;
  }

  public int chunksDone() {
    return done;
  }

  public int contiguousDone() {
    return contiguousDone;
  }

  public void routed(ExecutionPath path, String why) {
    this.path = path;
    this.route = why;
  }

  /** Puts every chunk that is not done back to pending (for a job that moves to the queue). */
  public void pendAllUnfinished() {
    pending.clear();
    for (int i = 0; i < files.length; i++) {
      if (files[i] == null) {
        pending.add(i);
      }
    }
  }

  /**
   * Records a finished chunk; false if it was recorded already, is out of range, or the job ended or stops
   * (a cancelled job does not turn SUCCEEDED because its last chunks finished while it stopped).
   */
  boolean chunkDone(ChunkReport report) {
    int chunk = report.chunk();
    if (!isRunnable() || chunk < 0 || chunk >= files.length || files[chunk] != null) {
      return false;
    }
    files[chunk] = report.payload();
    done++;
    rowsDone += report.rows();
    chunksByNode.merge(report.node(), 1, Integer::sum);
    evalNanos += report.evalNanos();
    retries += report.retries();
    lfChunkEvaluations += report.computed().length;
    for (int i : report.computed()) {
      computedLfs.set(i);
    }
    report.faults().forEach((lf, n) -> {
      if (lf >= 0 && lf < faults.length) {
        faults[lf] += n;
      }
    });
    while (contiguousDone < files.length && files[contiguousDone] != null) {
      contiguousDone++;
    }
    if (done == files.length) {
      finish(JobState.SUCCEEDED, null, null);
    }
    return true;
  }

  void finish(JobState end, String reason, LabelFlightException.Kind kind) {
    if (isTerminal()) {
      return;
    }
    state = end;
    error = reason;
    errorKind = reason == null ? null : kind;
    finished = Instant.now();
    pending.clear();
  }

  /** The job's status as {@code job_status} answers it (its one JSON mapping). */
  public JsonObject status() {
    JsonArray computed = new JsonArray();
    computedLfs.stream().forEach(i -> computed.add(lfNames.get(i)));
    JsonObject json = new JsonObject()
        .put("job", id)
        .put("state", state.name())
        .put("dataset", DatasetNames.display(manifest.name()))
        .put("datasetKey", manifest.name())
        .put("version", manifest.version())
        .put("user", user)
        .put("mode", mode.wireName())
        .put("path", path.wireName())
        .put("route", route)
        .put("lfs", new JsonArray(lfNames))
        .put("classes", new JsonArray(classes))
        .put("multiLabel", lfs.labels().multiLabel())
        .put("lfClasses", new JsonArray(Arrays.stream(lfs.lfClasses()).boxed().toList()))
        .put("computedLfs", computed)
        .put("lfChunkEvaluations", lfChunkEvaluations)
        .put("faults", faultsByName())
        .put("retries", retries)
        .put("chunksDone", done)
        .put("chunksTotal", files.length)
        .put("chunksByNode", new JsonObject(new LinkedHashMap<>(chunksByNode)))
        .put("contiguousDone", contiguousDone)
        .put("rowsDone", rowsDone)
        .put("rowsTotal", manifest.rows())
        .put("evalMillis", evalNanos / 1_000_000)
        .put("created", created.toString());
    if (isStopping()) {
      json.put("stopping", stop.message());
    }
    if (finished != null) {
      json.put("finished", finished.toString());
      json.put("elapsedMillis", finished.toEpochMilli() - created.toEpochMilli());
    }
    if (error != null) {
      json.put("error", error);
      if (errorKind != null) {
        json.put("errorKind", errorKind.name());
      }
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
  public JsonObject progress(int from) {
    JsonArray chunkFiles = new JsonArray();
    for (int i = Math.max(0, from); i < contiguousDone; i++) {
      chunkFiles.add(new JsonObject().put("chunk", i).put("bytes", files[i].bytes()).put("crc32c", files[i].crc32c()));
    }
    return status().put("files", chunkFiles);
  }
}
