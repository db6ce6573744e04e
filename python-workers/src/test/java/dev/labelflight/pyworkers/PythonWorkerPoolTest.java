package dev.labelflight.pyworkers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.CompiledLfSet;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.lf.python.ChunkOrigin;
import dev.labelflight.engine.memory.LocalMemoryPool;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies the Python worker pool with real Python processes (the venv of {@code setup-python-env.sh}): labels
 * of row, batch and Snorkel LFs; every bad-input case (raises, bad return, hangs, unbounded memory, segfault,
 * missing module, another Python) fails alone with the LF and row named, and the next chunk runs on a fresh
 * worker; cancel kills within milliseconds; workers are reused and recycled; nothing survives close; a user
 * without opt-in and another user's file are refused.
 */
class PythonWorkerPoolTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] TEXT = {"free money", "hello", "you are a WINNER", "ok", "meeting at noon today",
      "free stuff", "thanks a lot", "hi", "call me", "money back"};
  private static final int[] STARS = {1, 2, 3, 4, 5, 1, 2, 3, 4, 5};
  private static JsonNode specs;
  private static Path python;

  @TempDir Path dataDir;
  private BufferAllocator allocator;
  private LocalMemoryPool memory;
  private PythonWorkerPool pool;
  private VectorSchemaRoot chunk;
  private Path chunkFile;

  @BeforeAll
  static void pickleFunctions(@TempDir Path scratch) throws Exception {
    python = PythonEnv.python();
    Path pkg = WorkerPackage.unpack(scratch.resolve("pkg"));
    Path script = scratch.resolve("make_lfs.py");
    try (var in = PythonWorkerPoolTest.class.getResourceAsStream("/make_lfs.py")) {
      Files.write(script, in.readAllBytes());
    }
    Process p = new ProcessBuilder(python.toString(), script.toString(), pkg.toString(), scratch.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "make_lfs.py failed");
    specs = JSON.readTree(out);
  }

  @BeforeEach
  void start() throws IOException {
    allocator = new RootAllocator();
    memory = new LocalMemoryPool("test", 4L << 30);
    pool = PythonWorkerPool.start(config(2, 1000, 1500, 100), memory, allocator);
    chunk = chunk(allocator);
    chunkFile = writeChunk("alice~mails", chunk);
  }

  @AfterEach
  void stop() {
    List<Long> pids = pool.pids();
    pool.close();
    chunk.close();
    assertNoneAlive(pids);
    assertEquals(0, memory.reservedBytes(), "reservations left: " + memory.reservationsByHolder());
    allocator.close();
  }

  @AfterAll
  static void done() {
    specs = null;
  }

  private PythonWorkersConfig config(int workers, int tasksPerWorker, long timeoutMs, long limitMiB) {
    return new PythonWorkersConfig(true, Set.of("alice", "anonymous"), python, dataDir, workers, tasksPerWorker,
        limitMiB << 20, 64L << 20, 512L << 20, timeoutMs, 60_000, 600, 256, 0);
  }

  /** Verifies that row, batch and Snorkel LFs label a chunk as their Python code says, in one worker round trip. */
  @Test
  void labelsRowBatchAndSnorkelLfs() {
    byte[][] labels = apply(List.of("kw", "short", "batch_stars", "snorkel_lf"));
    assertArrayEquals(new byte[] {1, -1, 1, -1, -1, 1, -1, -1, -1, 1}, labels[0]);
    assertArrayEquals(new byte[] {0, 0, -1, 0, -1, 0, -1, 0, 0, 0}, labels[1]);
    assertArrayEquals(new byte[] {-1, -1, -1, 0, 0, -1, -1, -1, 0, 0}, labels[2]);
    assertArrayEquals(new byte[] {-1, -1, 1, -1, -1, -1, -1, -1, -1, -1}, labels[3]);
  }

  /**
   * Verifies that a user may run Python LFs when python.users names them or when the server grants them (the
   * python permission of their account), and nobody else; and that a job of a user without either is refused
   * when it is submitted, naming the LF.
   */
  @Test
  void usersNamedOrGrantedMayRunPythonLfs() {
    assertTrue(pool.allows("alice"));
    assertTrue(pool.allows(null), "anonymous is listed");
    assertFalse(pool.allows("carol"));
    pool.grant(user -> user.equals("carol"));
    assertTrue(pool.allows("carol"));
    assertFalse(pool.allows("bob"));
    var spec = dev.labelflight.engine.lf.LfSpec.parse(specs.get("kw"), 0);
    var e = assertThrows(dev.labelflight.engine.error.LabelFlightException.class,
        () -> dev.labelflight.engine.lf.python.PythonLfs.checkAllowed(pool, "bob", List.of(spec)));
    assertTrue(e.getMessage().contains("Python LFs are not enabled for user 'bob'"), e.getMessage());
    dev.labelflight.engine.lf.python.PythonLfs.checkAllowed(pool, "carol", List.of(spec));
  }

  /** Verifies that workers are reused across chunks (warm) and replaced after tasksPerWorker chunks. */
  @Test
  void reusesWorkersAndRecyclesThem() throws IOException {
    pool.close();
    pool = PythonWorkerPool.start(config(1, 3, 5000, 100), memory, allocator);
    apply(List.of("kw"));
    List<Long> first = pool.pids();
    assertEquals(2, first.size(), "a template and a worker");
    apply(List.of("kw"));
    assertEquals(first, pool.pids(), "the second chunk runs on the same worker");
    apply(List.of("kw"));
    assertEquals(List.of(first.get(0)), pool.pids(), "after its third chunk the worker is retired");
    assertNoneAlive(List.of(first.get(1)));
    apply(List.of("kw"));
    assertEquals(first.get(0), pool.pids().get(0), "the template stays");
    assertNotEquals(first.get(1), pool.pids().get(1), "the fourth chunk runs on a fresh worker");
  }

  /** Verifies that an LF that raises fails with its name and dataset row, and that the node then goes on. */
  @Test
  void raisingLfNamesLfAndRowAndWorkerIsReplaced() {
    LabelFlightException e = assertThrows(LabelFlightException.class, () -> apply(List.of("kw", "raises")));
    assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind());
    assertTrue(e.getMessage().contains("LF 'raises' raised ValueError: three stars are bad luck on row 1002"),
        e.getMessage());
    assertEquals(1002L, e.details().get("row"));
    assertEquals(0, pool.workers(), "the worker was ended");
    assertArrayEquals(new byte[] {1, -1, 1, -1, -1, 1, -1, -1, -1, 1}, apply(List.of("kw"))[0]);
  }

  /** Verifies Snorkel's fault_tolerant: rows where the LF raises abstain, stored as faults (-2) to be counted. */
  @Test
  void faultTolerantLfMarksFaults() {
    byte[] column = apply(List.of("raises_ft"))[0];
    assertArrayEquals(new byte[] {-1, -1, -2, -1, -1, -1, -1, -2, -1, -1}, column);
    assertEquals(2, LabelSpace.countFaults(column));
  }

  /** Verifies that a non-int or out-of-range return fails the LF with its name, the value and the row. */
  @Test
  void badReturnValuesNameLfAndRow() {
    var e = assertThrows(LabelFlightException.class, () -> apply(List.of("not_int")));
    assertTrue(e.getMessage().contains("LF 'not_int' returned 'SPAM' (str) on row 1001"), e.getMessage());
    e = assertThrows(LabelFlightException.class, () -> apply(List.of("out_of_range")));
    assertTrue(e.getMessage().contains("LF 'out_of_range' returned 7 (int) on row 1004"), e.getMessage());
  }

  /** Verifies that an LF that never returns is killed at the task timeout, naming the LF and row. */
  @Test
  void hangingLfTimesOut() {
    long start = System.nanoTime();
    var e = assertThrows(LabelFlightException.class, () -> apply(List.of("kw", "hangs")));
    assertEquals(LabelFlightException.Kind.TIMED_OUT, e.kind());
    assertTrue(e.getMessage().contains("LF 'hangs' (python) ran longer than 1500 ms on a chunk (at row 1003)"),
        e.getMessage());
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
    assertEquals(0, pool.workers());
  }

  /** Verifies that cancelling the task's token kills the worker within milliseconds. */
  @Test
  void cancelKillsTheWorkerAtOnce() throws Exception {
    apply(List.of("hangs_free_warmup_kw"));
    CancelToken token = CancelToken.create();
    CompiledLfSet set = compile(List.of("hangs"));
    CompletableFuture<Object> task = CompletableFuture.supplyAsync(() -> token.within(() -> origin().within(
        () -> set.evaluate(chunk))));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int before = pool.pids().size();
    while (pool.pids().size() < before + 2) {
      assertTrue(System.nanoTime() < deadline, "no worker started");
      Thread.onSpinWait();
    }
    List<Long> now = pool.pids();
    long worker = now.get(now.size() - 1);
    long cancelled = System.nanoTime();
    token.cancel(CancelToken.Reason.CANCELLED, "stop");
    var e = assertThrows(Exception.class, () -> task.get(5, TimeUnit.SECONDS));
    long took = System.nanoTime() - cancelled;
    assertTrue(e.getCause() instanceof CancelToken.CancelledException, String.valueOf(e));
    assertTrue(took < TimeUnit.MILLISECONDS.toNanos(500), "cancel took " + took / 1_000_000 + " ms");
    assertNoneAlive(List.of(worker));
  }

  /** Verifies that a worker that allocates without bound is killed, retried once, then the LF fails naming its use. */
  @Test
  void unboundedMemoryFailsWithLimitAfterOneRetry() {
    var e = assertThrows(LabelFlightException.class, () -> apply(List.of("hog")));
    assertEquals(LabelFlightException.Kind.RESOURCE_EXHAUSTED, e.kind());
    assertTrue(e.getMessage().matches("LF 'hog' used (\\d+ MiB > limit 100 MiB|more than its limit of 100 MiB.*)"),
        e.getMessage());
    assertEquals(0, pool.workers());
    assertArrayEquals(new byte[] {1, -1, 1, -1, -1, 1, -1, -1, -1, 1}, apply(List.of("kw"))[0]);
  }

  /** Verifies that a segfault in native code fails the LF naming it and the row, and the node goes on. */
  @Test
  void segfaultFailsTheLfAlone() {
    var e = assertThrows(LabelFlightException.class, () -> apply(List.of("segfault")));
    assertTrue(e.getMessage().contains("LF 'segfault' (python) crashed its worker process on row 1001"), e.getMessage());
    assertArrayEquals(new byte[] {1, -1, 1, -1, -1, 1, -1, -1, -1, 1}, apply(List.of("kw"))[0]);
  }

  /** Verifies that a function needing a module the workers lack is refused, naming the LF and the module. */
  @Test
  void missingModuleIsNamed() {
    var e = assertThrows(LabelFlightException.class, () -> apply(List.of("missing_module")));
    assertTrue(e.getMessage().contains("LF 'missing_module' needs module 'lf_only_on_client'"), e.getMessage());
    assertEquals("lf_only_on_client", e.details().get("module"));
  }

  /** Verifies that a function pickled under another Python minor version is refused with both versions. */
  @Test
  void otherPythonVersionIsRefused() {
    ObjectNode spec = ((ObjectNode) specs.get("kw")).deepCopy();
    spec.put("python", "3.99");
    var e = assertThrows(LabelFlightException.class, () -> evaluate(compileSpecs(List.of(spec))));
    assertTrue(e.getMessage().contains("LF 'kw' was pickled under Python 3.99; the Python workers run Python 3."),
        e.getMessage());
  }

  /** Verifies that a function whose fingerprint does not match its pickle is refused. */
  @Test
  void forgedFingerprintIsRefused() {
    ObjectNode spec = ((ObjectNode) specs.get("kw")).deepCopy();
    spec.put("fingerprint", specs.get("short").get("fingerprint").asText());
    var e = assertThrows(LabelFlightException.class, () -> evaluate(compileSpecs(List.of(spec))));
    assertTrue(e.getMessage().contains("fingerprint"), e.getMessage());
  }

  /** Verifies that Python LFs are refused for a user who did not opt in, and that no process starts. */
  @Test
  void userWithoutOptInIsRefused() throws IOException {
    Path bobs = writeChunk("bob~mails", chunk);
    CompiledLfSet set = compile(List.of("kw"));
    var e = assertThrows(LabelFlightException.class, () -> new ChunkOrigin("bob~mails", 1, 0, 1000, bobs)
        .within(() -> set.evaluate(chunk)));
    assertTrue(e.getMessage().contains("Python LFs are not enabled for user 'bob'"), e.getMessage());
    assertTrue(pool.pids().isEmpty());
  }

  /** Verifies that a chunk file of another user's dataset is never handed to a worker. */
  @Test
  void anotherUsersFileIsRefused() throws IOException {
    Path bobs = writeChunk("bob~secret", chunk);
    CompiledLfSet set = compile(List.of("kw"));
    var e = assertThrows(LabelFlightException.class, () -> new ChunkOrigin("alice~mails", 1, 0, 1000, bobs)
        .within(() -> set.evaluate(chunk)));
    assertTrue(e.getMessage().contains("refusing"), e.getMessage());
  }

  /** Verifies that a chunk that is not a local file (lent by another node) goes through one shared-memory copy. */
  @Test
  void chunkWithoutFileGoesThroughSharedMemory() {
    CompiledLfSet set = compile(List.of("kw"));
    byte[][] labels = new ChunkOrigin("alice~mails", 1, 0, 1000, null).within(() -> set.evaluate(chunk));
    assertArrayEquals(new byte[] {1, -1, 1, -1, -1, 1, -1, -1, -1, 1}, labels[0]);
  }

  /**
   * Verifies that a memoizing Snorkel preprocessor pickled with what it cached on the client (pandas rows that
   * lost the field it set) is not served from that cache, also when the template loads without warm-up (here
   * because warming crashed it), and that a template crashing in warm-up is loaded again without it.
   */
  @Test
  void preprocessorCacheFromTheClientIsDropped() {
    byte[][] labels = apply(List.of("snorkel_lf", "crash_in_template"));
    assertArrayEquals(new byte[] {-1, -1, 1, -1, -1, -1, -1, -1, -1, -1}, labels[0]);
  }

  /** Verifies that chunks of one LF set run in parallel on up to maxWorkers workers, all forked from one template. */
  @Test
  void parallelChunksShareOneTemplate() throws Exception {
    CompiledLfSet set = compile(List.of("slow"));
    List<CompletableFuture<byte[][]>> tasks = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      tasks.add(CompletableFuture.supplyAsync(() -> origin().within(() -> set.evaluate(chunk))));
    }
    for (var t : tasks) {
      t.get(30, TimeUnit.SECONDS);
    }
    assertTrue(pool.workers() <= 2);
    assertEquals(1 + pool.workers(), pool.pids().size());
  }

  private byte[][] apply(List<String> names) {
    List<String> real = names.stream().map(n -> n.equals("hangs_free_warmup_kw") ? "kw" : n).toList();
    return evaluate(compile(real));
  }

  private byte[][] evaluate(CompiledLfSet set) {
    return origin().within(() -> set.evaluate(chunk));
  }

  private ChunkOrigin origin() {
    return new ChunkOrigin("alice~mails", 1, 0, 1000, chunkFile);
  }

  private CompiledLfSet compile(List<String> names) {
    return compileSpecs(names.stream().map(n -> (ObjectNode) specs.get(n)).toList());
  }

  private CompiledLfSet compileSpecs(List<ObjectNode> nodes) {
    List<LfSpec> lfs = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      lfs.add(LfSpec.parse(nodes.get(i), i));
    }
    return new LfCompiler(LfLimits.DEFAULT, null, pool).compile(lfs, new LabelSpace(List.of("HAM", "SPAM")),
        chunk.getSchema());
  }

  private Path writeChunk(String dataset, VectorSchemaRoot root) throws IOException {
    Path file = Files.createDirectories(dataDir.resolve("datasets").resolve(dataset).resolve("v000001"))
        .resolve("chunk-000000.arrow");
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
         ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
      writer.start();
      writer.writeBatch();
      writer.end();
    }
    return file;
  }

  static VectorSchemaRoot chunk(BufferAllocator allocator) {
    VarCharVector text = new VarCharVector("text", allocator);
    IntVector stars = new IntVector("stars", allocator);
    for (int i = 0; i < TEXT.length; i++) {
      text.setSafe(i, TEXT[i].getBytes(StandardCharsets.UTF_8));
      stars.setSafe(i, STARS[i]);
    }
    text.setValueCount(TEXT.length);
    stars.setValueCount(TEXT.length);
    return new VectorSchemaRoot(List.of(text.getField(), stars.getField()), List.of(text, stars), TEXT.length);
  }

  static void assertNoneAlive(List<Long> pids) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (long pid : pids) {
      while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && isNotZombie(pid)) {
        assertTrue(System.nanoTime() < deadline, "process " + pid + " is still alive");
        Thread.onSpinWait();
      }
    }
  }

  private static boolean isNotZombie(long pid) {
    try {
      return !Files.readString(Path.of("/proc", Long.toString(pid), "stat")).contains(") Z ");
    } catch (IOException e) {
      return false;
    }
  }
}
