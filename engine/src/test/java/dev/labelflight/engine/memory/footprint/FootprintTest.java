package dev.labelflight.engine.memory.footprint;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.browse.ExampleFinder;
import dev.labelflight.engine.browse.LabelCoverage;
import dev.labelflight.engine.browse.RowSampler;
import dev.labelflight.engine.cache.LabelCache;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.derive.DeriveRequest;
import dev.labelflight.engine.derive.DerivedColumn;
import dev.labelflight.engine.derive.DerivedColumnStore;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.labelmodel.VotePatterns;
import dev.labelflight.engine.lf.HeapAllowance;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.lf.ResidentText;
import dev.labelflight.engine.memory.LocalMemoryPool;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.store.MappedChunks;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each memory estimate against what the code it stands for really allocates, on a generated dataset
 * (seeded, so the same bytes every run): Arrow bytes as the allocator counts them (peak), heap bytes
 * where the estimate counts them (label arrays, resident text copies, vote patterns). An estimate below
 * the real allocation fails (the reservation would not cover the work); one far above it fails too (it
 * would turn work away for nothing): the data-proportional part of each estimate stays within a factor of
 * the real bytes.
 */
class FootprintTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final LabelSpace SPACE = new LabelSpace(List.of("HAM", "SPAM"));
  /** Rows per chunk (a quarter of the server's default, to keep the test quick); the last chunk is short. */
  private static final int CHUNK_ROWS = 16_384;
  private static final int ROWS = 2 * CHUNK_ROWS + 3_000;

  @TempDir static Path dir;
  private static RootAllocator root;
  private static DatasetStore store;
  private static Manifest manifest;

  @BeforeAll
  static void generate() {
    root = TestAllocators.root();
    store = new DatasetStore(dir, CHUNK_ROWS);
    try (DatasetUpload upload = store.beginUpload("reviews", ReviewsGenerator.SCHEMA, root)) {
      ReviewsGenerator generator = new ReviewsGenerator(20_261_203L);
      for (int row = 0; row < ROWS; row += 10_000) {
        try (VectorSchemaRoot batch = generator.batch(row, Math.min(10_000, ROWS - row), root)) {
          upload.append(batch);
        }
      }
      manifest = upload.commit();
    }
  }

  @AfterAll
  static void close() {
    root.close(); // a leak fails the class
  }

  private static String report(String what, long estimate, long actual) {
    String line = String.format("%s: estimate %,d bytes, allocated %,d bytes (%.2fx)", what, estimate, actual,
        (double) estimate / Math.max(1, actual));
    System.out.println(line);
    return line;
  }

  /** Fails if {@code estimate} is below {@code actual}, or its part above {@code fixed} is more than {@code factor} times it. */
  private static void assertCovers(String what, long estimate, long actual, long fixed, double factor) {
    String line = report(what, estimate, actual);
    assertTrue(actual <= estimate, "under-estimate: " + line);
    assertTrue(estimate - fixed <= factor * actual, "over-estimate: " + line);
  }

  /** {@code count} distinct LFs over text, numbers, categories and expressions. */
  private static List<LfSpec> lfs(int count) throws Exception {
    return lfs(0, count);
  }

  /** LFs number {@code from} to {@code from + count - 1} of the same series. */
  private static List<LfSpec> lfs(int from, int count) throws Exception {
    String[] templates = {
        "{\"name\":\"kw%d\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"free\",\"winner\",\"w%d\"],\"label\":\"SPAM\"}",
        "{\"name\":\"re%d\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"https?://\\\\w+ %d\",\"label\":\"SPAM\"}",
        "{\"name\":\"num%d\",\"kind\":\"numeric\",\"column\":\"stars\",\"op\":\"<\",\"value\":%d,\"label\":\"HAM\"}",
        "{\"name\":\"cat%d\",\"kind\":\"categorical\",\"column\":\"source\",\"values\":[\"sms\",\"x%d\"],\"label\":\"SPAM\"}",
        "{\"name\":\"ex%d\",\"kind\":\"expression\",\"expr\":\"length > %d && stars < 3\",\"label\":\"SPAM\"}"};
    List<LfSpec> out = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      // Every LF's content differs, so each has its own column in the label cache.
      String json = String.format(templates[i % templates.length], i, i);
      out.add(LfSpec.parse(JSON.readTree(json), i - from));
    }
    return out;
  }

  /** Verifies the decoded size of each chunk read through a memory map (what every chunk task reads). */
  @Test
  void chunkDecoded() {
    for (Manifest.Chunk chunk : manifest.chunks()) {
      try (BufferAllocator allocator = root.newChildAllocator("chunk", 0, Long.MAX_VALUE)) {
        try (VectorSchemaRoot data = MappedChunks.read(store, manifest, chunk.index(), allocator)) {
          assertCovers("chunk " + chunk.index() + " decoded", ChunkFootprint.decoded(chunk),
              allocator.getPeakMemoryAllocation(), 0, 2.5);
        }
      }
    }
  }

  /**
   * Heap bytes of the per-chunk copy that text LFs and derivations make of a text column
   * ({@code TextColumn}): its bytes and an int offset per row and one more.
   */
  private static long textCopy(Manifest.Chunk chunk, String column) {
    try (BufferAllocator allocator = root.newChildAllocator("text", 0, Long.MAX_VALUE);
         VectorSchemaRoot data = MappedChunks.read(store, manifest, chunk.index(), allocator)) {
      VarCharVector text = (VarCharVector) data.getVector(column);
      int rows = text.getValueCount();
      return text.getEndOffset(rows - 1) - text.getStartOffset(0) + 4L * (rows + 1);
    }
  }

  /**
   * Verifies the whole chunk task with few and with many LFs (Arrow peak of the task's allocator, the
   * heap label arrays and the heap copies of the text columns the LFs read), and the label side alone at
   * its worst: a job of few LFs whose columns are cached in wide segments, written by a job of many.
   */
  @Test
  void labellingAChunk() throws Exception {
    for (int lfCount : new int[] {5, 80}) {
      ChunkLabeler labeler = new ChunkLabeler(store, new LabelCache(dir.resolve("cache-" + lfCount)),
          new LfCompiler(LfLimits.DEFAULT));
      ChunkLabeler.JobLfs job = labeler.jobLfs(manifest, lfs(lfCount), SPACE);
      for (Manifest.Chunk chunk : manifest.chunks()) {
        try (BufferAllocator allocator = root.newChildAllocator("task", 0, Long.MAX_VALUE)) {
          ChunkLabeler.Result result = labeler.label(manifest, chunk.index(), job, allocator, null);
          long actual = allocator.getPeakMemoryAllocation() + labelArrays(result)
              + textCopy(chunk, "text") + textCopy(chunk, "source");
          // Not the worst case (nothing is read from wide cache segments), hence the looser factor.
          assertCovers(lfCount + " LFs, chunk " + chunk.index() + ", whole task",
              ChunkFootprint.labelling(chunk, lfCount), actual, 2 << 20, 5);
        }
      }
    }
    // No heap layer: the narrow job decodes the wide segments from disk.
    ChunkLabeler labeler = new ChunkLabeler(store, new LabelCache(dir.resolve("cache-wide"), 0),
        new LfCompiler(LfLimits.DEFAULT));
    ChunkLabeler.JobLfs wide = labeler.jobLfs(manifest, lfs(LabelCache.SEGMENT_COLUMNS), SPACE);
    ChunkLabeler.JobLfs narrow = labeler.jobLfs(manifest, lfs(5), SPACE);
    for (Manifest.Chunk chunk : manifest.chunks()) {
      try (BufferAllocator allocator = root.newChildAllocator("wide", 0, Long.MAX_VALUE)) {
        labeler.label(manifest, chunk.index(), wide, allocator, null);
      }
      try (BufferAllocator allocator = root.newChildAllocator("narrow", 0, Long.MAX_VALUE)) {
        ChunkLabeler.Result result = labeler.label(manifest, chunk.index(), narrow, allocator, null);
        assertTrue(result.computed().length == 0, "all read from the cache");
        // The cache reads a segment file onto the heap before decoding it: the chunk's only segment here.
        long segmentFile;
        try (var files = java.nio.file.Files.walk(dir.resolve("cache-wide"))) {
          segmentFile = files.filter(f -> f.getParent().getFileName().toString().equals(
                  String.format("chunk-%06d", chunk.index())) && f.getFileName().toString().startsWith("seg-"))
              .mapToLong(f -> f.toFile().length()).sum();
        }
        assertTrue(segmentFile > (long) LabelCache.SEGMENT_COLUMNS * chunk.rows(), "one wide segment was read");
        assertCovers("5 LFs cached in segments of " + LabelCache.SEGMENT_COLUMNS + ", chunk " + chunk.index()
            + ", label side", LabelFootprint.chunk(chunk.rows(), 5),
            allocator.getPeakMemoryAllocation() + labelArrays(result) + segmentFile, 2 << 20, 3);
      }
    }
  }

  /**
   * Verifies the chunk task while the label cache compacts: many small jobs on one chunk each write a
   * narrow segment, until the cache merges them (reading each, holding the merged columns, building one
   * wide segment) inside a task.
   */
  @Test
  void labellingWhileTheCacheCompacts() throws Exception {
    LabelCache cache = new LabelCache(dir.resolve("cache-compact"), 0);
    ChunkLabeler labeler = new ChunkLabeler(store, cache, new LfCompiler(LfLimits.DEFAULT));
    Manifest.Chunk chunk = manifest.chunk(0);
    long worst = 0;
    int jobs = 20;
    for (int j = 0; j < jobs; j++) {
      ChunkLabeler.JobLfs job = labeler.jobLfs(manifest, lfs(1000 + 3 * j, 3), SPACE);
      try (BufferAllocator allocator = root.newChildAllocator("small job", 0, Long.MAX_VALUE)) {
        ChunkLabeler.Result result = labeler.label(manifest, chunk.index(), job, allocator, null);
        long actual = allocator.getPeakMemoryAllocation() + labelArrays(result) + textCopy(chunk, "text")
            + textCopy(chunk, "source") + 3L * chunk.rows() * (j + 1); // merged columns on the heap, at most all so far
        worst = Math.max(worst, actual);
        assertTrue(actual <= ChunkFootprint.labelling(chunk, 3), report("small job " + j, ChunkFootprint.labelling(chunk, 3), actual));
      }
    }
    try (BufferAllocator allocator = root.newChildAllocator("segments", 0, Long.MAX_VALUE)) {
      assertTrue(cache.segments(manifest, chunk.index(), allocator) < jobs, "the cache compacted");
    }
    assertCovers("worst small job while compacting", ChunkFootprint.labelling(chunk, 3), worst, 2 << 20, 3);
  }

  private static long labelArrays(ChunkLabeler.Result result) {
    long heap = 0;
    for (byte[] column : result.columns()) {
      heap += column.length;
    }
    return heap;
  }

  /**
   * Verifies a resident copy: every chunk decoded into one allocator (as the resident loader reads them)
   * plus the heap text copies, signatures and word indexes its background builder makes.
   */
  @Test
  void residentCopy() throws Exception {
    ChunkLabeler labeler = new ChunkLabeler(store, new LabelCache(dir.resolve("cache-resident")),
        new LfCompiler(LfLimits.DEFAULT));
    // Keywords use the word index of the kept text; the regex reads the signatures.
    ChunkLabeler.JobLfs job = labeler.jobLfs(manifest, List.of(
        LfSpec.parse(JSON.readTree("{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"text\","
            + "\"keywords\":[\"free money\",\"battery\"],\"wholeWord\":true,\"label\":\"SPAM\"}"), 0),
        LfSpec.parse(JSON.readTree("{\"name\":\"kw2\",\"kind\":\"keyword\",\"column\":\"source\","
            + "\"keywords\":[\"sms\"],\"label\":\"SPAM\"}"), 1),
        LfSpec.parse(JSON.readTree("{\"name\":\"re\",\"kind\":\"regex\",\"column\":\"text\","
            + "\"pattern\":\"click here\",\"label\":\"SPAM\"}"), 2)), SPACE);
    HeapAllowance heap = new HeapAllowance(1L << 30);
    List<ResidentText> texts = new ArrayList<>();
    List<VectorSchemaRoot> chunks = new ArrayList<>();
    try (BufferAllocator allocator = root.newChildAllocator("resident", 0, Long.MAX_VALUE)) {
      try {
        for (int i = 0; i < manifest.chunks().size(); i++) {
          VectorSchemaRoot chunk = store.readChunk(manifest, i, allocator);
          chunks.add(chunk);
          ResidentText text = new ResidentText(chunk, heap);
          texts.add(text);
          while (text.buildNext(() -> { })) {
            // as the copy's background builder does once the chunks are loaded
          }
        }
        long maxLabelArrays = 0;
        for (int i = 0; i < chunks.size(); i++) {
          try (BufferAllocator task = root.newChildAllocator("task", 0, Long.MAX_VALUE)) {
            ChunkLabeler.Result r = labeler.label(manifest, i, job, task, chunks.get(i), texts.get(i));
            maxLabelArrays = Math.max(maxLabelArrays, (long) r.rows() * r.columns().length);
          }
        }
        long textBytes = texts.stream().mapToLong(ResidentText::bytes).sum();
        assertTrue(textBytes > 0, "the resident text copies are built");
        long cores = Runtime.getRuntime().availableProcessors();
        long actual = allocator.getPeakMemoryAllocation() + textBytes + cores * maxLabelArrays;
        assertCovers("resident copy", ResidentFootprint.of(manifest), actual, 4 << 20, 3);
      } finally {
        texts.forEach(ResidentText::close);
        chunks.forEach(VectorSchemaRoot::close);
      }
    }
  }

  /** Verifies deriving a column chunk by chunk (peak of the deriving allocator) and reading it back beside a chunk. */
  @Test
  void derivedColumns() throws Exception {
    DerivedColumnStore derived = new DerivedColumnStore(store);
    LocalMemoryPool pool = new LocalMemoryPool("test", 1L << 30);
    List<DerivedColumn> columns = new ArrayList<>();
    for (String kind : new String[] {"lowercase", "token_count"}) {
      try (BufferAllocator parent = root.newChildAllocator("derive", 0, Long.MAX_VALUE)) {
        DeriveRequest request = DeriveRequest.parse("{\"dataset\":\"reviews\",\"name\":\"d_" + kind
            + "\",\"kind\":\"" + kind + "\",\"column\":\"text\"}");
        columns.add(derived.derive(request, pool, parent, 1.0).column());
        // Chunk by chunk: the peak is the largest chunk's, with the heap copy of its source text.
        Manifest.Chunk largest = manifest.chunk(0);
        assertCovers("deriving " + kind + " (largest chunk)", DerivedFootprint.deriving(largest),
            parent.getPeakMemoryAllocation() + textCopy(largest, "text"), 1 << 20, 2.5);
      }
    }
    for (Manifest.Chunk chunk : manifest.chunks()) {
      try (BufferAllocator allocator = root.newChildAllocator("read", 0, Long.MAX_VALUE)) {
        List<FieldVector> read = derived.read(manifest, columns, chunk.index(), allocator);
        try {
          assertCovers("derived columns read with chunk " + chunk.index(),
              DerivedFootprint.reading(columns, chunk.index()), allocator.getPeakMemoryAllocation(), 0, 2.5);
        } finally {
          read.forEach(FieldVector::close);
        }
      }
    }
  }

  /** Verifies a page of rows across two chunks and the scans of a job's labels (examples, coverage). */
  @Test
  void browsing() throws Exception {
    RowSampler sampler = new RowSampler(store);
    long offset = CHUNK_ROWS - 50;
    List<Integer> chunks = RowSampler.chunksFor(manifest, offset, 100);
    try (BufferAllocator allocator = root.newChildAllocator("page", 0, Long.MAX_VALUE)) {
      sampler.page(manifest, offset, 100, allocator);
      assertCovers("page over chunks " + chunks, sampler.memoryEstimate(manifest, chunks),
          allocator.getPeakMemoryAllocation(), 1 << 20, 2.5);
    }

    LabelCache cache = new LabelCache(dir.resolve("cache-browse"));
    ChunkLabeler labeler = new ChunkLabeler(store, cache, new LfCompiler(LfLimits.DEFAULT));
    LabelStore labels = new LabelStore(dir, store, cache);
    ChunkLabeler.JobLfs job = labeler.jobLfs(manifest, lfs(40), SPACE);
    labels.create("job-browse", LabelStore.JobLabels.of(manifest.name(), manifest.version(), job));
    List<AtomicFiles.Written> files = new ArrayList<>();
    long largest = 0;
    for (Manifest.Chunk chunk : manifest.chunks()) {
      try (BufferAllocator allocator = root.newChildAllocator("label", 0, Long.MAX_VALUE)) {
        AtomicFiles.Written payload = labeler.label(manifest, chunk.index(), job, allocator, null).payload();
        files.add(payload);
        largest = Math.max(largest, payload.bytes() + chunk.bytes());
      }
    }
    try (BufferAllocator allocator = root.newChildAllocator("examples", 0, Long.MAX_VALUE)) {
      new ExampleFinder(store, labels).find(new ExampleFinder.Query("job-browse", "kw0", "num2", 100), manifest,
          job.names(), files, allocator);
      assertCovers("examples scan", BrowseFootprint.labelScan(largest), allocator.getPeakMemoryAllocation(),
          1 << 20, 4);
    }
    try (BufferAllocator allocator = root.newChildAllocator("coverage", 0, Long.MAX_VALUE)) {
      new LabelCoverage(labels).count("job-browse", job.names().size(), 2, files, allocator);
      long peak = allocator.getPeakMemoryAllocation();
      report("coverage scan", BrowseFootprint.labelScan(largest), peak);
      assertTrue(peak <= BrowseFootprint.labelScan(largest), "coverage reads labels only: within the scan's estimate");
    }
  }

  /**
   * Verifies the fit's two estimates: reading a chunk's gold column (the chunk decoded from a heap read),
   * and the heap of vote patterns, measured just after its arrays doubled (their fullest point).
   */
  @Test
  void modelFit() {
    for (Manifest.Chunk chunk : manifest.chunks()) {
      try (BufferAllocator allocator = root.newChildAllocator("gold", 0, Long.MAX_VALUE);
           VectorSchemaRoot data = store.readChunk(manifest, chunk.index(), allocator)) {
        // The heap read also holds the file in a byte array while it decodes.
        long actual = allocator.getPeakMemoryAllocation() + chunk.bytes();
        assertCovers("gold of chunk " + chunk.index(), ModelFitFootprint.goldChunk(chunk), actual, 2 << 20, 3);
      }
    }
    for (int lfs : new int[] {3, 40, 400}) {
      // 64 patterns fill the first arrays; 65 makes them double, 129 double again.
      int patterns = 129;
      VotePatterns votes = new VotePatterns(lfs, 1 << 20);
      Random random = new Random(lfs);
      short[][] labels = new short[lfs][patterns];
      for (int p = 0; p < patterns; p++) {
        for (int lf = 0; lf < lfs; lf++) {
          labels[lf][p] = (short) (lf == 0 ? p : random.nextInt(3) - 1); // the first LF makes each row distinct
        }
      }
      votes.add(new LabelChunk(0, patterns, labels));
      assertCovers("vote patterns of " + lfs + " LFs", patterns * ModelFitFootprint.votePattern(lfs),
          votes.heapBytes(), 0, 2.5);
    }
  }
}
