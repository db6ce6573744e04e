package dev.labelflight.engine.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.cache.LabelCache;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.testing.TestAllocators;
import dev.labelflight.engine.testing.TextChunks;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chunk whose evaluation would take minutes stops within a second of its token being cancelled from
 * another thread, for each evaluator that can be slow on allowed input, and gives back every byte of the
 * chunk's allocator. The chunk is labelled through {@link ChunkLabeler} as a worker does, under
 * {@link CancelToken#within}.
 */
class CancellationTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final LabelSpace LABELS = new LabelSpace(List.of("HAM", "SPAM"));
  /** Loose bounds: here cancellation, not a limit, must be what stops the work. */
  static final LfLimits LIMITS = LfLimits.DEFAULT.withRegexLimits(LfLimits.DEFAULT_MAX_REGEX_PROGRAM_SIZE, Long.MAX_VALUE)
      .withExpressionRunLimits(1_000_000, 3_600_000);
  /** CPU time the evaluation must have spent before it is cancelled: it is then deep in its work. */
  static final long RUNNING_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  @TempDir Path dir;
  RootAllocator allocator;
  ExecutorService worker;

  @BeforeEach
  void setUp() {
    allocator = TestAllocators.root();
    worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "cancellation-test-worker");
      t.setDaemon(true); // an evaluation that never stops must not keep the test JVM alive
      return t;
    });
  }

  @AfterEach
  void tearDown() {
    worker.shutdownNow();
    allocator.close();
  }

  /** Verifies that the slow regex engine (the DFA's cache thrashes on long runs of a's) stops when cancelled. */
  @Test
  void slowRegexEngineStops() throws Exception {
    cancelledWhileRunning(rows(300, "a".repeat(5000)),
        "{\"name\":\"slow\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"(a{100}){100}b\",\"label\":\"SPAM\"}");
  }

  /** Verifies that RE2J, behind CEL's columnar {@code matches} once its DFA gave up, stops when cancelled. */
  @Test
  void re2jBehindCelMatchesStops() throws Exception {
    cancelledWhileRunning(rows(300, "a".repeat(5000)),
        "{\"name\":\"m\",\"kind\":\"expression\",\"expr\":\"t.matches('(a{100}){100}b')\",\"label\":\"SPAM\"}");
  }

  /** Verifies that the CEL interpreter, each row running a large comprehension, stops when cancelled. */
  @Test
  void celComprehensionStops() throws Exception {
    String list = IntStream.rangeClosed(1, 300).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]"));
    cancelledWhileRunning(rows(300, "some text"), "{\"name\":\"loops\",\"kind\":\"expression\",\"expr\":\"" + list
        + ".exists(x, " + list + ".exists(y, x * y == -n))\",\"label\":\"SPAM\"}");
  }

  static String[] rows(int count, String text) {
    String[] rows = new String[count];
    Arrays.fill(rows, text);
    return rows;
  }

  private void cancelledWhileRunning(String[] rows, String lfJson) throws Exception {
    DatasetStore store = new DatasetStore(dir, rows.length);
    Manifest manifest;
    try (DatasetUpload upload = store.beginUpload("d", TextChunks.SCHEMA, allocator);
         VectorSchemaRoot batch = TextChunks.of(allocator, rows)) {
      upload.append(batch);
      manifest = upload.commit();
    }
    ChunkLabeler labeler = new ChunkLabeler(store, new LabelCache(dir), new LfCompiler(LIMITS));
    ChunkLabeler.JobLfs lfs = labeler.jobLfs(manifest, List.of(LfSpec.parse(JSON.readTree(lfJson), 0)), LABELS);
    // Compiled once before: the first CEL compile in a JVM loads for seconds, and that is not the evaluation.
    new LfCompiler(LIMITS).compile(lfs.specs(), LABELS, TextChunks.SCHEMA);
    BufferAllocator chunkAllocator = allocator.newChildAllocator("chunk", 0, Long.MAX_VALUE);
    CancelToken token = CancelToken.create();
    Thread[] thread = new Thread[1];
    CompletableFuture<ChunkLabeler.Result> labelled = CompletableFuture.supplyAsync(() -> {
      thread[0] = Thread.currentThread();
      return token.within(() -> labeler.label(manifest, 0, lfs, chunkAllocator, null));
    }, worker);

    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (thread[0] == null || threads.getThreadCpuTime(thread[0].getId()) < RUNNING_NANOS) {
      assertTrue(System.nanoTime() < deadline, "the evaluation did not get going within 60 s");
      try {
        labelled.get(10, TimeUnit.MILLISECONDS);
      } catch (TimeoutException stillRunning) {
        continue;
      }
      throw new AssertionError("the evaluation ended before it was cancelled: make the workload bigger");
    }
    assertFalse(labelled.isDone());
    long cancelledAt = System.nanoTime();
    token.cancel(CancelToken.Reason.CANCELLED, "cancelled by the test");
    ExecutionException stopped;
    try {
      labelled.get(1, TimeUnit.SECONDS);
      throw new AssertionError("the evaluation ended without its cancellation being seen");
    } catch (ExecutionException e) {
      stopped = e;
    } catch (TimeoutException e) {
      StringBuilder where = new StringBuilder();
      for (StackTraceElement frame : thread[0].getStackTrace()) {
        where.append("\n  at ").append(frame);
      }
      throw new AssertionError("the evaluation did not stop within 1 s of its cancellation; it is" + where);
    }
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cancelledAt);
    CancelToken.CancelledException cancelled = assertInstanceOf(CancelToken.CancelledException.class,
        stopped.getCause(), String.valueOf(stopped.getCause()));
    assertEquals("cancelled by the test", cancelled.getMessage());
    assertEquals(0, chunkAllocator.getAllocatedMemory(), "the chunk's memory is back");
    chunkAllocator.close();
    System.out.printf("%s stopped %d ms after its cancellation%n", lfs.names(), tookMs);
  }
}
