package dev.labelflight.pyworkers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Detail;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfEvaluator;
import dev.labelflight.engine.lf.python.ChunkOrigin;
import dev.labelflight.engine.lf.python.PythonFunction;
import dev.labelflight.engine.lf.python.PythonLfs;
import dev.labelflight.engine.memory.MemoryPool;
import dev.labelflight.engine.memory.Reservation;
import dev.labelflight.engine.store.DatasetNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's Python worker processes (see the package comment). Thread-safe: chunk tasks on any number of threads
 * call {@link #label} through their {@link PythonLfEvaluator}; each takes a worker of its (user, LF set) for one
 * chunk, forking one when none is idle and the node has room (at most {@code maxWorkers}, each with a memory
 * reservation), else waiting (bounded, cancellable). A worker never serves two users or two LF sets.
 *
 * <p>Over 400 lines because acquiring, running and retiring a worker share the pool's state and monitor; the
 * processes, their protocol, watchdog and memory live in their own classes.
 */
public final class PythonWorkerPool implements PythonLfs, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PythonWorkerPool.class);
  private static final long MIB = 1 << 20;
  private static final long CONNECT_TIMEOUT_MS = 30_000;
  private static final String RUN_DIR_PREFIX = "labelflight-py-";

  private final PythonWorkersConfig config;
  private final MemoryPool memory;
  private final BufferAllocator allocator;
  private final Path runDir;
  private final Path packageDir;
  private final Path datasetsDir;
  private final WorkerListener listener;
  private final TaskWatchdog watchdog = new TaskWatchdog();
  private final SharedChunks shared;
  private final ScheduledExecutorService reaper;
  private final Map<String, LfSetWorkers> sets = new LinkedHashMap<>(16, 0.75f, true);
  private final List<WorkerProcess> alive = new ArrayList<>();
  private int totalWorkers;
  private boolean closed;
  private volatile java.util.function.Predicate<String> granted = user -> false;

  private PythonWorkerPool(PythonWorkersConfig config, MemoryPool memory, BufferAllocator allocator, Path runDir)
      throws IOException {
    this.config = config;
    this.memory = memory;
    this.allocator = allocator;
    this.runDir = runDir;
    this.packageDir = WorkerPackage.unpack(runDir.resolve("pkg"));
    Files.createDirectories(runDir.resolve("state"));
    Files.createDirectories(runDir.resolve("home"));
    this.datasetsDir = Files.createDirectories(config.dataDir().resolve("datasets")).toRealPath();
    this.shared = new SharedChunks(Files.createDirectories(runDir.resolve("shm")), memory);
    this.listener = new WorkerListener(runDir.resolve("sock"));
    this.reaper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "python-worker-reaper");
      t.setDaemon(true);
      return t;
    });
    reaper.scheduleWithFixedDelay(this::retireIdle, 1, 1, TimeUnit.SECONDS);
  }

  /**
   * Starts a pool (no process yet: they start on first use). Its private directory (sockets, state files, the
   * unpacked worker package, shared chunk copies) is under {@code /dev/shm} when there is one, mode 0700.
   * {@code parent} gives the child allocator that label replies are decoded in.
   */
  public static PythonWorkerPool start(PythonWorkersConfig config, MemoryPool memory, BufferAllocator parent)
      throws IOException {
    if (!Files.isExecutable(config.python())) {
      throw new IOException("no Python interpreter at " + config.python()
          + ": run python-workers/setup-python-env.sh (python.venv in the server configuration)");
    }
    Path base = Files.isDirectory(Path.of("/dev/shm")) && Files.isWritable(Path.of("/dev/shm"))
        ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
    removeAbandonedRunDirs(base);
    Path runDir = Files.createTempDirectory(base, RUN_DIR_PREFIX + ProcessHandle.current().pid() + "-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    BufferAllocator allocator = parent.newChildAllocator("python-workers", 0, Long.MAX_VALUE);
    try {
      return new PythonWorkerPool(config, memory, allocator, runDir);
    } catch (IOException | RuntimeException e) {
      allocator.close();
      deleteTree(runDir);
      throw e;
    }
  }

  public PythonWorkersConfig config() {
    return config;
  }

  /**
   * Also lets the users {@code granted} accepts run Python LFs (the server passes the users whose account has
   * the python permission), besides those {@code python.users} names.
   */
  public PythonWorkerPool grant(java.util.function.Predicate<String> granted) {
    this.granted = granted;
    return this;
  }

  @Override
  public boolean allows(String user) {
    return config.allows(user) || (config.enabled() && user != null && granted.test(user));
  }

  @Override
  public LfEvaluator compile(List<PythonFunction> functions, LabelSpace labels) {
    return new PythonLfEvaluator(this, List.copyOf(functions), labels.size(), setKey(functions, labels.size()));
  }

  /** Labels {@code chunk} with {@code lfs}: the label columns of its functions, in their order. */
  byte[][] label(PythonLfEvaluator lfs, VectorSchemaRoot chunk) {
    ChunkOrigin origin = ChunkOrigin.current();
    String owner = origin == null ? null : owner(origin.dataset());
    String user = owner == null ? PythonWorkersConfig.ANONYMOUS : owner;
    String first = lfs.functions().get(0).name();
    if (!allows(owner)) {
      throw LabelFlightException.invalid("LF '" + first + "' (python): Python LFs are not enabled for user '" + user
          + "' (python.users, or the python permission of the user's account)").withDetail(Detail.LF, first);
    }
    CancelToken token = CancelToken.current();
    long firstRow = origin == null ? 0 : origin.firstRow();
    int rows = chunk.getRowCount();
    SharedChunks.Copy copy = null;
    try {
      Path file;
      // A resident copy on a node that is not the dataset's home has no store file: it goes by shared memory.
      if (origin != null && origin.file() != null && Files.exists(origin.file())) {
        file = checkedChunkFile(origin.file(), owner);
      } else {
        copy = shared.write(user, chunk);
        file = copy.file();
      }
      LfSetWorkers set = set(lfs, user);
      WorkerFailure failure = null;
      for (int attempt = 0; attempt < 2; attempt++) {
        WorkerProcess worker = acquire(set, file, token);
        TaskRun run = TaskRun.run(this, worker, file, rows, firstRow, token);
        if (run.failure() == null) {
          release(worker, true);
          return run.labels();
        }
        release(worker, false);
        failure = run.failure();
        if (!failure.retry() || attempt == 1) {
          break;
        }
        LOG.info("retrying chunk at row {} on a fresh Python worker: {}", firstRow, failure.exception().getMessage());
      }
      throw failure.exception();
    } finally {
      if (copy != null) {
        copy.close();
      }
    }
  }

  /** The path a worker may read for {@code owner}'s chunk, after checking it is one of that user's datasets. */
  private Path checkedChunkFile(Path file, String owner) {
    Path real;
    try {
      real = file.toRealPath();
    } catch (IOException e) {
      throw LabelFlightException.notFound("chunk file " + file.getFileName() + " is gone");
    }
    if (!real.startsWith(datasetsDir) || real.getNameCount() <= datasetsDir.getNameCount()
        || !DatasetNames.ownedBy(real.getName(datasetsDir.getNameCount()).toString(), owner)) {
      throw LabelFlightException.internal("refusing to hand " + real + " to a Python worker of another user", null);
    }
    return real;
  }

  /** Path prefixes a worker of {@code user} may open (checked again by the worker). */
  List<String> roots(String user) {
    String datasets = datasetsDir.toString() + "/";
    return List.of(user.equals(PythonWorkersConfig.ANONYMOUS) ? datasets : datasets + user + DatasetNames.OWNER_SEPARATOR,
        shared.userDir(user).toString() + "/");
  }

  private static String owner(String storedName) {
    int at = storedName.indexOf(DatasetNames.OWNER_SEPARATOR);
    return at < 0 ? null : storedName.substring(0, at);
  }

  private synchronized LfSetWorkers set(PythonLfEvaluator lfs, String user) {
    return sets.computeIfAbsent(user + "/" + lfs.key(), k -> new LfSetWorkers(lfs.key(), user, lfs.functions(), lfs.classes()));
  }

  /** An idle worker of {@code set}, or a new one when the node has room; waits (bounded, cancellable) otherwise. */
  private WorkerProcess acquire(LfSetWorkers set, Path warm, CancelToken token) {
    // Chunks wait for each other and for the template to load: bounded by the load timeout.
    long waitMs = loadTimeoutMs();
    long deadline = System.nanoTime() + waitMs * 1_000_000;
    while (true) {
      token.throwIfCancelled();
      Reservation reservation = null;
      synchronized (this) {
        if (closed) {
          throw new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE, "the Python worker pool is closed");
        }
        set.lastUsedNanos = System.nanoTime();
        for (WorkerProcess w; (w = set.idle.pollLast()) != null; ) {
          if (w.isAlive()) {
            return w;
          }
          retire(w);
        }
        if (totalWorkers >= config.maxWorkers()) {
          retireOneIdle(set);
        }
        if (totalWorkers < config.maxWorkers()) {
          reservation = memory.newReservation("python worker of " + set.user + " set " + set.key.substring(0, 12));
          long start = Math.max(config.workerStartBytes(), set.declaredBytes());
          boolean fits;
          try {
            fits = reservation.trySetBytes(start);
          } catch (LabelFlightException e) {
            reservation.close();
            throw LabelFlightException.exhausted("a Python worker needs " + (start >> 20) + " MiB, more than the "
                + "node's memory budget of " + (memory.maxBytes() >> 20) + " MiB");
          }
          if (fits) {
            totalWorkers++;
            set.workers++;
          } else {
            reservation.close();
            reservation = null;
            evictIdleSets(set);
          }
        }
        if (reservation == null) {
          if (System.nanoTime() - deadline > 0) {
            throw LabelFlightException.exhausted("no Python worker became free within " + waitMs
                + " ms (python.maxWorkers " + config.maxWorkers() + ", memory free " + (memory.freeBytes() >> 20) + " MiB)");
          }
          try {
            wait(TaskWatchdog.TICK_MS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancelToken.CancelledException(CancelToken.Reason.CANCELLED, "interrupted");
          }
          continue;
        }
      }
      try {
        WorkerProcess w = spawn(set, warm, reservation, token);
        synchronized (this) {
          alive.add(w);
        }
        return w;
      } catch (RuntimeException e) {
        reservation.close();
        synchronized (this) {
          totalWorkers--;
          set.workers--;
          notifyAll();
        }
        throw e;
      }
    }
  }

  /** Forks a worker from the set's template (started and loaded first if needed). */
  private WorkerProcess spawn(LfSetWorkers set, Path warm, Reservation reservation, CancelToken token) {
    TemplateProcess template = template(set, warm, token);
    String secret = UUID.randomUUID().toString();
    Path state = runDir.resolve("state").resolve(secret);
    try {
      Files.write(state, new byte[16]);
      var connection = listener.expect(secret);
      ObjectNode fork = Frame.newHeader();
      fork.put("op", "fork");
      fork.put("token", secret);
      fork.put("stateFile", state.toString());
      fork.put("template", template.pid());
      fork.put("limitMiB", limitBytes(set) / MIB);
      try (TaskWatchdog.Watch w = watchdog.watch(template.handle(), token,
          System.nanoTime() + CONNECT_TIMEOUT_MS * 1_000_000, 0, 0)) {
        template.request(Frame.of(fork));
      }
      var c = connection.get(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      return new WorkerProcess(set, c, reservation, state);
    } catch (Exception e) {
      try {
        Files.deleteIfExists(state);
      } catch (IOException ignored) {
        // the run directory goes at close
      }
      token.throwIfCancelled();
      set.closeTemplate();
      throw LabelFlightException.internal("could not start a Python worker: " + e, e);
    }
  }

  /**
   * The set's running template, or a new one with the set loaded and its memory reserved. The first load runs
   * the LFs on a few rows of {@code warm} so that models they load lazily are loaded once, in the template; if
   * that kills or hangs the template (a crashing or endless LF), it loads again without warming.
   */
  private TemplateProcess template(LfSetWorkers set, Path warm, CancelToken token) {
    synchronized (set.loading) {
      TemplateProcess running = set.runningTemplate();
      if (running != null) {
        return running;
      }
      set.closeTemplate();
      try {
        return loadTemplate(set, warm, token);
      } catch (TemplateDied e) {
        if (warm == null) {
          throw e.failure;
        }
        LOG.info("loading {} again without warm-up: {}", set.key.substring(0, 12), e.failure.getMessage());
        try {
          return loadTemplate(set, null, token);
        } catch (TemplateDied again) {
          throw again.failure;
        }
      }
    }
  }

  /** The template process died or was killed while loading. */
  private static final class TemplateDied extends Exception {
    final LabelFlightException failure;

    TemplateDied(LabelFlightException failure) {
      super(failure.getMessage(), null, false, false);
      this.failure = failure;
    }
  }

  private TemplateProcess loadTemplate(LfSetWorkers set, Path warm, CancelToken token) throws TemplateDied {
    Reservation reservation = memory.newReservation("python template of " + set.user + " set " + set.key.substring(0, 12));
    TemplateProcess t = null;
    String first = set.functions.get(0).name();
    try {
      t = TemplateProcess.start(config, packageDir, runDir.resolve("home"), listener.path(), roots(set.user),
          "user " + set.user + ", LF set " + set.key.substring(0, 12));
      long loadTimeoutMs = loadTimeoutMs();
      Frame reply;
      try (TaskWatchdog.Watch w = watchdog.watch(t.handle(), token,
          System.nanoTime() + loadTimeoutMs * 1_000_000, 0, 0)) {
        try {
          reply = t.request(set.loadRequest(warm, limitBytes(set)));
        } catch (IOException e) {
          token.throwIfCancelled();
          throw new TemplateDied(w.reason() == TaskWatchdog.Reason.TIMED_OUT
              ? new LabelFlightException(LabelFlightException.Kind.TIMED_OUT, "LF '" + first
                  + "' (python): loading the LF set took longer than " + loadTimeoutMs + " ms")
              : LabelFlightException.invalid("LF '" + first + "' (python): the Python process died while loading the LF set"));
        }
      }
      if (!reply.header().path("ok").asBoolean()) {
        throw WorkerFailure.fromReply(reply.header().path("error"), set, "python", limitBytes(set)).exception();
      }
      long rss = reply.header().path("rssKiB").asLong() * 1024;
      if (!reservation.trySetBytes(rss) && !(evictIdleSets(set) && reservation.trySetBytes(rss))) {
        throw LabelFlightException.exhausted("the Python LF set of LF '" + first + "' holds " + (rss >> 20)
            + " MiB once loaded; the node's memory budget has " + (memory.freeBytes() >> 20) + " MiB free");
      }
      set.template(t, reservation);
      return t;
    } catch (IOException e) {
      reservation.close();
      throw LabelFlightException.internal("could not start the Python template process: " + e.getMessage(), e);
    } catch (RuntimeException | TemplateDied e) {
      reservation.close();
      if (t != null) {
        t.close();
      }
      throw e;
    }
  }

  /** Importing pandas, pyarrow and the LFs' packages takes seconds on a busy node: at least a minute. */
  private long loadTimeoutMs() {
    return Math.max(config.taskTimeoutMs(), 60_000);
  }

  long limitBytes(LfSetWorkers set) {
    return Math.max(config.workerLimitBytes(), set.declaredBytes());
  }

  TaskWatchdog watchdog() {
    return watchdog;
  }

  BufferAllocator allocator() {
    return allocator;
  }

  /** Back to idle after a task that went well, unless it is due for recycling; else ends it. */
  private void release(WorkerProcess worker, boolean healthy) {
    LfSetWorkers set = worker.set();
    boolean keep = healthy && worker.isAlive() && worker.tasks() < config.tasksPerWorker();
    if (keep) {
      long own = ProcMemory.privateBytes(worker.pid());
      // What the worker costs beyond what it shares with its template, with room for the next chunk.
      keep = own < config.recycleBytes()
          && worker.reservation().trySetBytes(Math.max(own + own / 4, 16 * MIB));
    }
    synchronized (this) {
      if (keep && !closed) {
        set.idle.addLast(worker);
      } else {
        LOG.debug("retiring {} after {} tasks (healthy {})", worker, worker.tasks(), healthy);
        retire(worker);
      }
      notifyAll();
    }
  }

  /** Ends a worker and forgets it (under the monitor). */
  private void retire(WorkerProcess worker) {
    worker.kill();
    if (alive.remove(worker)) {
      totalWorkers--;
      worker.set().workers--;
    }
    notifyAll();
  }

  /** Frees a slot by ending the least recently used idle worker of another set (under the monitor). */
  private void retireOneIdle(LfSetWorkers except) {
    WorkerProcess oldest = null;
    for (LfSetWorkers s : sets.values()) {
      if (s != except && !s.idle.isEmpty()
          && (oldest == null || s.idle.peekFirst().lastUsedNanos() < oldest.lastUsedNanos())) {
        oldest = s.idle.peekFirst();
      }
    }
    if (oldest != null) {
      oldest.set().idle.remove(oldest);
      retire(oldest);
    }
  }

  /**
   * Makes room in the budget: ends every idle worker of the other sets, and the templates of those left without
   * workers (least recently used sets first in the map). Returns whether anything was freed.
   */
  private synchronized boolean evictIdleSets(LfSetWorkers except) {
    boolean freed = false;
    for (Iterator<LfSetWorkers> it = sets.values().iterator(); it.hasNext(); ) {
      LfSetWorkers s = it.next();
      if (s == except) {
        continue;
      }
      while (!s.idle.isEmpty()) {
        retire(s.idle.pollFirst());
        freed = true;
      }
      if (s.workers == 0 && s.runningTemplate() != null) {
        it.remove();
        s.closeTemplate();
        freed = true;
      }
    }
    return freed;
  }

  /** Ends workers idle longer than {@code idleMs}, and templates of sets with no worker left. */
  private void retireIdle() {
    List<LfSetWorkers> done = new ArrayList<>();
    synchronized (this) {
      long now = System.nanoTime();
      long idle = config.idleMs() * 1_000_000;
      for (Iterator<LfSetWorkers> it = sets.values().iterator(); it.hasNext(); ) {
        LfSetWorkers s = it.next();
        while (!s.idle.isEmpty() && now - s.idle.peekFirst().lastUsedNanos() > idle) {
          retire(s.idle.pollFirst());
        }
        if (s.workers == 0 && now - s.lastUsedNanos > idle) {
          it.remove();
          done.add(s);
        }
      }
    }
    done.forEach(LfSetWorkers::closeTemplate);
  }

  /** Pids of every template and worker alive (tests check none survives {@link #close}). */
  public synchronized List<Long> pids() {
    List<Long> out = new ArrayList<>();
    for (LfSetWorkers s : sets.values()) {
      if (s.templatePid() > 0) {
        out.add(s.templatePid());
      }
    }
    alive.forEach(w -> out.add(w.pid()));
    return out;
  }

  /** Worker processes alive now. */
  public synchronized int workers() {
    return totalWorkers;
  }

  /** Kills every process, frees every reservation, deletes the run directory. */
  @Override
  public void close() {
    List<LfSetWorkers> all;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      new ArrayList<>(alive).forEach(this::retire);
      all = new ArrayList<>(sets.values());
      sets.clear();
    }
    all.forEach(LfSetWorkers::closeTemplate);
    reaper.shutdownNow();
    watchdog.close();
    listener.close();
    allocator.close();
    deleteTree(runDir);
  }

  private static String setKey(List<PythonFunction> functions, int classes) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(("classes:" + classes).getBytes());
      for (PythonFunction f : functions) {
        d.update((f.fingerprint() + (f.batch() ? "b" : "r") + (f.faultTolerant() ? "t" : "f")).getBytes());
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Run directories of pools whose JVM is gone (killed with -9: it could not delete them). */
  private static void removeAbandonedRunDirs(Path base) {
    try (var dirs = Files.newDirectoryStream(base, RUN_DIR_PREFIX + "*")) {
      for (Path dir : dirs) {
        String[] parts = dir.getFileName().toString().substring(RUN_DIR_PREFIX.length()).split("-");
        try {
          if (ProcessHandle.of(Long.parseLong(parts[0])).isEmpty()) {
            deleteTree(dir);
          }
        } catch (NumberFormatException ignored) {
          // not one of ours
        }
      }
    } catch (IOException ignored) {
      // best effort
    }
  }

  private static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort
    }
  }
}
