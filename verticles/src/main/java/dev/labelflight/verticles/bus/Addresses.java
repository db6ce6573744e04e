package dev.labelflight.verticles.bus;

/** Every event-bus address LabelFlight uses, in one place. */
public final class Addresses {
  /** Request: apply body (JSON string); reply: {@code {"job": id}}. */
  public static final String APPLY = "labelflight.api.apply";
  /** Request: {@code {"job"}}; reply: the job's status. */
  public static final String JOB_STATUS = "labelflight.api.job_status";
  /** Request: {@code {"job", "after": k}}; reply when more than k leading chunks are done or the job ended. */
  public static final String AWAIT_PROGRESS = "labelflight.api.await_progress";
  /** Request: {@code {"job"}}; reply: the job's status after cancelling it. */
  public static final String CANCEL = "labelflight.api.cancel";
  /** Request: {@code {"job", "gold"?}}; reply: Snorkel-style LF analysis {@code {lfs, totals, rows}} once the job ended. */
  public static final String ANALYSIS = "labelflight.api.analysis";
  /** Request: {@code {"job", "model", "tiePolicy"?, "seed"?, "classBalance"?, "epochs"?}}; reply: the fitted model's id and parameters. */
  public static final String FIT_LABEL_MODEL = "labelflight.api.fit_label_model";
  /** Request: anything; reply: {@code {"datasets": [{name, version, versions, rows, chunks, fields}]}}. */
  public static final String DATASETS = "labelflight.api.datasets";
  /** Request: {@code {"dataset", "version"?, "offset"?, "limit"?}}; reply: a page of rows as JSON. */
  public static final String SAMPLE = "labelflight.api.sample";
  /** Request: {@code {"dataset"}}; reply: {@code {"dataset", "set": {labels, lfs, gold?, saved} | null}}. */
  public static final String LFSETS_GET = "labelflight.api.lfsets.get";
  /** Request: {@code {"dataset", "set": {labels, lfs, gold?}}}; reply: {@code {"dataset", "set"}} as stored. */
  public static final String LFSETS_PUT = "labelflight.api.lfsets.put";
  /** Request: {@code {"job", "lf", "other"?, "limit"?}}; reply: rows where the LF fires / the two LFs conflict. */
  public static final String EXAMPLES = "labelflight.api.examples";
  /** Request: {@code {"job", "classes"}}; reply: rows covered per class, covered and conflicted rows. */
  public static final String COVERAGE = "labelflight.api.coverage";
  /** Pattern of every job progress address, {@link #job(String)}. */
  public static final String JOB_ADDRESS_REGEX = "labelflight\\.job\\.[a-z0-9-]{1,64}";
  /** Request: {@code {"job", "model"}}; reply: a fitted model's description with {@code params} to rebuild it. */
  public static final String LABEL_MODEL = "labelflight.api.label_model";

  /** The caller's stored label models: {@code {}} -> {@code {"models": [{name, versions, kind, classes, createdAt}]}}. */
  public static final String MODELS = "labelflight.api.models";
  /** One stored label model: {@code {"model": NAME or NAME@vK}} -> its description and {@code document}. */
  public static final String MODEL = "labelflight.api.model";
  /** Deletes a stored label model (every version, or {@code NAME@vK}): {@code {"model"}} -> {@code {name, versions}}. */
  public static final String DELETE_MODEL = "labelflight.api.delete_model";
  /** Stores an exported label model document: {@code {"name"?, "document"}} -> its description. */
  public static final String IMPORT_MODEL = "labelflight.api.import_model";
  /** Request: {@code {"dataset"}}; reply: {@code {"dataset", "versions": [...]}} once every version and its cached labels are gone. */
  public static final String DROP_DATASET = "labelflight.api.drop_dataset";
  /**
   * Request: {@code {"dataset", "version"?, "name", "kind", "column", "pattern"?, "replace"?}}; reply:
   * {@code {"dataset", "version", "column", "kind", "source", "type", "rows", "created"}} once the derived column is stored.
   */
  public static final String DERIVE = "labelflight.api.derive";
  /** Send: {@code {"worker": id}}: a chunk worker has room for one task (its credit). */
  public static final String WORKER_READY = "labelflight.worker.ready";
  /** Send: one chunk finished by a resident dataset: a {@code ChunkReport}. */
  public static final String CHUNK_DONE = "labelflight.coordinator.chunk_done";
  /** Send (or request): {@code {"bytes"}}: evict idle resident datasets, least recently used first, to free that much budget. */
  public static final String RESIDENT_RECLAIM = "labelflight.resident.reclaim";
  /** The coordinator's counts for metrics: {@code {}} -> jobs by state and path, queue depth per user, residents. */
  public static final String NODE_STATS = "labelflight.coordinator.node_stats";
  /**
   * Graceful shutdown: {@code {"drainMs"?}} -> the coordinator refuses new applies, hands out no more chunk
   * tasks and replies {@code {"inFlight": n}} once the tasks already running have finished; after
   * {@code drainMs} (if given) it cancels what still runs and replies once that stopped (or the jobs' stop
   * wait ran out).
   */
  public static final String DRAIN = "labelflight.coordinator.drain";
  /**
   * Cluster-wide publish: {@code {"node"}}: that node has chunk tasks queued and no idle worker; nodes
   * with idle workers steal from it ({@link #steal(String)}).
   */
  public static final String WORK_AVAILABLE = "labelflight.cluster.work_available";
  /** Local: {@code {"node"}}: a cluster member left (crash or shutdown); its borrowed tasks are queued again. */
  public static final String NODE_LEFT = "labelflight.cluster.node_left";
  // ---- the web UI's review, search, dev-set and LF-set history services (ReviewVerticle, BrowseVerticle) ----

  /**
   * Request: {@code {"job", "view": lf-wrong|model-wrong|uncovered|conflicts, "gold"?: column|"@dev", "model"?,
   * "lf"?, "class"?, "minConfidence"?, "maxConfidence"?, "offset"?, "limit"?}}; reply: a page of the rows the
   * view lists with votes, gold, prediction and match spans ({@code ReviewFinder}).
   */
  public static final String REVIEW_ROWS = "labelflight.api.review.rows";
  /**
   * Request: {@code {"dataset", "version"?, "lf": {kind: keyword|regex, column, ...}, "labels"?, "gold"?,
   * "offset"?, "limit"?}}; reply: hit count, coverage, a page of hits with spans, accuracy on gold ({@code TextSearch}).
   */
  public static final String SEARCH = "labelflight.api.search";
  /** Request: {@code {"dataset", "version"?, "rows"?: [ids]}}; reply: the dev set's size, counts per class, labels of those rows. */
  public static final String DEVSET_GET = "labelflight.api.devset.get";
  /** Request: {@code {"dataset", "version", "labels": [[row, class or null], ...]}}; reply: the dev set's size after the save. */
  public static final String DEVSET_PUT = "labelflight.api.devset.put";
  /** Request: {@code {"dataset", "version"?, "position"?}}; reply: the next row to hand-label (a fixed shuffle of the rows). */
  public static final String DEVSET_NEXT = "labelflight.api.devset.next";
  /** Request: {@code {"dataset", "limit"?}}; reply: {@code {"dataset", "versions": [{version, saved, user, source, changes}]}}. */
  public static final String LFSETS_HISTORY = "labelflight.api.lfsets.history";

  private static final String NODE_PREFIX = "labelflight.node.";
  private static final String WORKER_PREFIX = "labelflight.worker.task.";
  private static final String RESIDENT_PREFIX = "labelflight.resident.run.";
  private static final String JOB_PREFIX = "labelflight.job.";

  private Addresses() {}

  /** Where one chunk worker takes its tasks. */
  public static String worker(String workerId) {
    return WORKER_PREFIX + workerId;
  }

  /** Where one resident dataset takes jobs: {@code {job, request}}; reply when all its chunks are done. */
  public static String resident(String residentId) {
    return RESIDENT_PREFIX + residentId;
  }

  /**
   * A node's coordinator lends queued chunk tasks here: {@code {"node", "max"}} -> {@code {"tasks": [...]}}.
   * The borrower runs them on its idle workers and reports each to {@link #result(String)}.
   */
  public static String steal(String nodeId) {
    return NODE_PREFIX + nodeId + ".steal";
  }

  /**
   * The outcome of a chunk of this node's job run on another node (a borrowed task, or a chunk of a run on
   * a copy held there): a binary {@code LentChunkOutcome} (a JSON header and the label columns as Arrow IPC).
   */
  public static String result(String nodeId) {
    return NODE_PREFIX + nodeId + ".result";
  }

  /**
   * A job's home node tells a node running chunks of the job to stop them: {@code {"job", "reason", "detail"}}
   * (a {@code StopJob}); fire and forget.
   */
  public static String stopJob(String nodeId) {
    return NODE_PREFIX + nodeId + ".stop_job";
  }

  /**
   * Asks a node to hold a resident copy of another node's dataset: {@code {"dataset", "version",
   * "homeFlight", "bytes", "headroom"}}; reply once the copy is loaded (or a failure: no room, load failed).
   */
  public static String hostResident(String nodeId) {
    return NODE_PREFIX + nodeId + ".host_resident";
  }

  /**
   * Runs a job on a node's resident copy: {@code {"job", "request", "home", "dataset", "version"}}; each
   * chunk's labels go to {@link #result(String)} of {@code home}; reply when all chunks are done.
   */
  public static String runResident(String nodeId) {
    return NODE_PREFIX + nodeId + ".run_resident";
  }

  /** Where progress events of a job are published. */
  public static String job(String jobId) {
    return JOB_PREFIX + jobId;
  }
}
