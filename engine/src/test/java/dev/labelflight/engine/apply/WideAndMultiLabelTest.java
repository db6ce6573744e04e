package dev.labelflight.engine.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.cache.LabelCache;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.SparseVotes;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Label columns of jobs with more than 127 classes (int16) and of multi-label jobs, through cache and store. */
class WideAndMultiLabelTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int ROWS = 3000;
  @TempDir Path dir;

  static List<String> classes(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add("c" + i);
    }
    return out;
  }

  /** One keyword LF per generator word, each voting a class (or a vote sign) spread over the label space. */
  static List<LfSpec> lfs(int classes, boolean votes) {
    List<LfSpec> out = new ArrayList<>();
    List<String> words = ReviewsGenerator.WORDS;
    for (int i = 0; i < words.size(); i++) {
      ObjectNode lf = JSON.createObjectNode().put("name", "kw" + i).put("kind", "keyword").put("column", "text")
          .put("label", "c" + (i * 37 % classes)).put("wholeWord", true);
      lf.putArray("keywords").add(words.get(i));
      if (votes) {
        lf.put("vote", i % 3 == 0 ? "negative" : "positive");
      }
      out.add(LfSpec.parse(lf, i));
    }
    return out;
  }

  /** Runs a job over every chunk through the cache; returns the store and the per-chunk payloads. */
  private record Applied(LabelStore store, List<ChunkLabeler.Result> results) {}

  private Applied apply(String job, List<LfSpec> specs, LabelSpace labels, RootAllocator allocator) {
    DatasetStore datasets = new DatasetStore(dir, 997); // not a multiple of 8: the sparse scan's tail
    Manifest m = datasets.latestVersion("r").isPresent() ? datasets.manifest("r", null) : upload(datasets, allocator);
    LabelCache cache = new LabelCache(dir);
    ChunkLabeler labeler = new ChunkLabeler(datasets, cache, new LfCompiler(LfLimits.DEFAULT));
    ChunkLabeler.JobLfs lfs = ChunkLabeler.JobLfs.of(specs, labels);
    LabelStore store = new LabelStore(dir, datasets, cache);
    store.create(job, LabelStore.JobLabels.of(m.name(), m.version(), lfs));
    List<ChunkLabeler.Result> results = new ArrayList<>();
    for (int c = 0; c < m.chunks().size(); c++) {
      results.add(labeler.label(m, c, lfs, allocator, null));
    }
    return new Applied(store, results);
  }

  private static Manifest upload(DatasetStore store, RootAllocator allocator) {
    try (DatasetUpload upload = store.beginUpload("r", ReviewsGenerator.SCHEMA, allocator);
         VectorSchemaRoot batch = new ReviewsGenerator(9).batch(0, ROWS, allocator)) {
      upload.append(batch);
      return upload.commit();
    }
  }

  /** Independent reference: does the row contain the word as a whole word (case-insensitively)? */
  private static boolean hasWord(String text, String word) {
    return text != null && java.util.regex.Pattern.compile("(?i)(?<![\\w\\x80-\\x{10FFFF}])"
        + java.util.regex.Pattern.quote(word) + "(?![\\w\\x80-\\x{10FFFF}])").matcher(text).find();
  }

  /**
   * Verifies that a 300-class job stores int16 label columns holding each LF's class index (above 127),
   * that the sparse layout holds exactly the dense votes, and that the same LFs in a 3-class job share
   * no cache column with it.
   */
  @Test
  void threeHundredClassesGiveInt16ClassIndexesAndSparseAgrees() {
    try (RootAllocator allocator = TestAllocators.root()) {
      LabelSpace wide = new LabelSpace(classes(300));
      List<LfSpec> specs = lfs(300, false);
      Applied applied = apply("wide", specs, wide, allocator);
      Map<Long, Map<Integer, Integer>> dense = new HashMap<>();
      int maxLabel = 0;
      try (VectorSchemaRoot data = new ReviewsGenerator(9).batch(0, ROWS, allocator)) {
        VarCharVector text = (VarCharVector) data.getVector("text");
        for (ChunkLabeler.Result r : applied.results()) {
          try (VectorSchemaRoot labels = applied.store().read("wide", r.chunk(), r.payload(), allocator)) {
            BigIntVector rowId = (BigIntVector) labels.getVector(0);
            for (int lf = 0; lf < specs.size(); lf++) {
              SmallIntVector column = assertInstanceOf(SmallIntVector.class, labels.getVector(lf + 1));
              for (int i = 0; i < labels.getRowCount(); i++) {
                int row = (int) rowId.get(i);
                String value = text.isNull(row) ? null : new String(text.get(row), java.nio.charset.StandardCharsets.UTF_8);
                int expected = hasWord(value, ReviewsGenerator.WORDS.get(lf)) ? lf * 37 % 300 : -1;
                assertEquals(expected, column.get(i), "row " + row + " LF " + lf);
                if (expected >= 0) {
                  dense.computeIfAbsent((long) row, x -> new HashMap<>()).put(lf, expected);
                  maxLabel = Math.max(maxLabel, expected);
                }
              }
            }
          }
        }
      }
      assertTrue(maxLabel > 127, "some votes need int16: " + maxLabel);
      assertEquals(dense, sparse(applied, "wide", true, allocator));
      long[] perClass = new long[300];
      dense.values().forEach(votes -> votes.values().stream().distinct().forEach(c -> perClass[c]++));
      var coverage = new dev.labelflight.engine.browse.LabelCoverage(applied.store()).count("wide", specs.size(), 300,
          applied.results().stream().map(ChunkLabeler.Result::payload).toList(), allocator);
      assertEquals(dense.size(), coverage.get("covered").asLong());
      for (int c = 0; c < 300; c++) {
        assertEquals(perClass[c], coverage.get("perClass").get(c).asLong(), "class " + c);
      }

      LabelSpace narrow = new LabelSpace(classes(300).subList(0, 3));
      assertNotEquals(ChunkLabeler.JobLfs.of(List.of(lfs(3, false).get(0)), narrow).fingerprints(),
          ChunkLabeler.JobLfs.of(List.of(specs.get(0)), wide).fingerprints());
    }
  }

  /** The votes of a job through {@link SparseVotes}, in small batches: row -> LF -> label. */
  private static Map<Long, Map<Integer, Integer>> sparse(Applied applied, String job, boolean int16,
      RootAllocator allocator) {
    Map<Long, Map<Integer, Integer>> out = new HashMap<>();
    int[] batches = {0};
    try (VectorSchemaRoot root = VectorSchemaRoot.create(SparseVotes.schema(int16), allocator)) {
      SparseVotes votes = new SparseVotes(root, 500, batch -> {
        batches[0]++;
        BigIntVector rowId = (BigIntVector) batch.getVector(0);
        IntVector lf = (IntVector) batch.getVector(1);
        FieldVector label = batch.getVector(2);
        for (int i = 0; i < batch.getRowCount(); i++) {
          int value = label instanceof SmallIntVector s ? s.get(i) : ((TinyIntVector) label).get(i);
          assertEquals(null, out.computeIfAbsent(rowId.get(i), x -> new HashMap<>()).put(lf.get(i), value));
        }
        return true;
      });
      for (ChunkLabeler.Result r : applied.results()) {
        try (VectorSchemaRoot labels = applied.store().read(job, r.chunk(), r.payload(), allocator)) {
          assertTrue(votes.add(labels));
        }
      }
      assertTrue(votes.flush());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    assertTrue(batches[0] > 1, "votes span several batches");
    return out;
  }

  /**
   * Verifies that a multi-label job stores 1 where an LF votes its class positive, 0 where negative, -1
   * where it abstains, that its fingerprints differ from the single-label job's (also when only the
   * vote changes), and that the sparse layout agrees with the dense one.
   */
  @Test
  void multiLabelStoresVoteSigns() {
    try (RootAllocator allocator = TestAllocators.root()) {
      LabelSpace multi = new LabelSpace(classes(20), true);
      List<LfSpec> specs = lfs(20, true);
      Applied applied = apply("multi", specs, multi, allocator);
      Map<Long, Map<Integer, Integer>> dense = new HashMap<>();
      int[] seen = new int[2];
      for (ChunkLabeler.Result r : applied.results()) {
        try (VectorSchemaRoot labels = applied.store().read("multi", r.chunk(), r.payload(), allocator)) {
          BigIntVector rowId = (BigIntVector) labels.getVector(0);
          for (int lf = 0; lf < specs.size(); lf++) {
            TinyIntVector column = assertInstanceOf(TinyIntVector.class, labels.getVector(lf + 1));
            for (int i = 0; i < labels.getRowCount(); i++) {
              int v = column.get(i);
              if (v >= 0) {
                assertEquals(lf % 3 == 0 ? 0 : 1, v, "LF " + lf);
                seen[v]++;
                dense.computeIfAbsent(rowId.get(i), x -> new HashMap<>()).put(lf, v);
              }
            }
          }
        }
      }
      assertTrue(seen[0] > 0 && seen[1] > 0, "both vote signs occur");
      assertEquals(dense, sparse(applied, "multi", false, allocator));

      List<String> single = ChunkLabeler.JobLfs.of(lfs(20, false), new LabelSpace(classes(20))).fingerprints();
      List<String> multiPositive = ChunkLabeler.JobLfs.of(lfs(20, false), multi).fingerprints();
      List<String> multiVoted = ChunkLabeler.JobLfs.of(specs, multi).fingerprints();
      for (int lf = 0; lf < specs.size(); lf++) {
        assertNotEquals(single.get(lf), multiPositive.get(lf));
      }
      assertNotEquals(multiPositive.get(0), multiVoted.get(0), "a negative vote is another column");
      assertEquals(multiPositive.get(1), multiVoted.get(1), "'positive' is the default vote");
    }
  }

  /** Verifies that bad votes, expressions without a label where codes are not classes, and too many classes fail clearly. */
  @Test
  void badMultiLabelAndWideInputFails() throws Exception {
    LfCompiler compiler = new LfCompiler(LfLimits.DEFAULT.withMaxClasses(400));
    LabelSpace multi = new LabelSpace(List.of("a", "b"), true);
    LfSpec badVote = LfSpec.parse(JSON.readTree(
        "{\"name\":\"x\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"a\"],\"label\":\"a\",\"vote\":\"maybe\"}"), 0);
    var e = assertThrows(LabelFlightException.class, () -> compiler.compile(List.of(badVote), multi, ReviewsGenerator.SCHEMA));
    assertTrue(e.getMessage().contains("'vote' must be 'positive' or 'negative'"), e.getMessage());
    LfSpec negative = LfSpec.parse(JSON.readTree(
        "{\"name\":\"x\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"a\"],\"label\":\"a\",\"vote\":\"negative\"}"), 0);
    e = assertThrows(LabelFlightException.class,
        () -> compiler.compile(List.of(negative), new LabelSpace(List.of("a", "b")), ReviewsGenerator.SCHEMA));
    assertTrue(e.getMessage().contains("needs a multiLabel job"), e.getMessage());
    LfSpec classExpr = LfSpec.parse(JSON.readTree("{\"name\":\"e\",\"kind\":\"expression\",\"expr\":\"stars > 3 ? 1 : -1\"}"), 0);
    e = assertThrows(LabelFlightException.class, () -> compiler.compile(List.of(classExpr), multi, ReviewsGenerator.SCHEMA));
    assertTrue(e.getMessage().contains("needs 'label'"), e.getMessage());
    e = assertThrows(LabelFlightException.class,
        () -> compiler.compile(List.of(classExpr), new LabelSpace(classes(200)), ReviewsGenerator.SCHEMA));
    assertTrue(e.getMessage().contains("at most 127 classes"), e.getMessage());
    e = assertThrows(LabelFlightException.class,
        () -> compiler.compile(List.of(negative), new LabelSpace(classes(401), true), ReviewsGenerator.SCHEMA));
    assertTrue(e.getMessage().contains("at most 400"), e.getMessage());
    e = assertThrows(LabelFlightException.class, () -> ApplyRequest.parse(
        "{\"dataset\":\"r\",\"labels\":[\"a\"],\"lfs\":[],\"multiLabel\":\"yes\"}"));
    assertTrue(e.getMessage().contains("'multiLabel' must be true or false"), e.getMessage());
    assertTrue(ApplyRequest.parse("{\"dataset\":\"r\",\"labels\":[\"a\"],\"lfs\":[],\"multiLabel\":true}").labels().multiLabel());
  }
}
