package dev.labelflight.engine.apply;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.cache.LabelCache;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfRowException;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultTolerantLfTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int ROWS = 3000;
  static final int CHUNK_ROWS = 1000;
  static final LabelSpace SPACE = new LabelSpace(List.of("HAM", "SPAM"));
  /** Fails where stars == 3 (columnar path), where stars >= 3 (interpreter: index out of range), and outside the classes. */
  static final String[] EXPRS = {"100 / (stars - 3) > 10", "[0, 1, 2][stars] == 1", "stars - 3"};

  @TempDir Path dir;

  static List<LfSpec> specs(boolean tolerant) throws Exception {
    List<LfSpec> out = new ArrayList<>();
    for (int i = 0; i < EXPRS.length; i++) {
      String json = "{\"name\":\"e" + i + "\",\"kind\":\"expression\",\"expr\":\"" + EXPRS[i] + "\""
          + (i < 2 ? ",\"label\":\"SPAM\"" : "") + (tolerant ? ",\"faultTolerant\":true" : "") + "}";
      out.add(LfSpec.parse(JSON.readTree(json), i));
    }
    out.add(LfSpec.parse(JSON.readTree("{\"name\":\"ok\",\"kind\":\"numeric\",\"column\":\"stars\",\"op\":\"<\",\"value\":2,"
        + "\"label\":\"HAM\",\"faultTolerant\":true}"), 3));
    return out;
  }

  /** What each LF gives a row with this many stars: a class, -1, or null for a fault. */
  static Integer expected(int lf, int stars) {
    return switch (lf) {
      case 0 -> stars == 3 ? null : 100 / (stars - 3) > 10 ? 1 : -1;
      case 1 -> stars >= 3 ? null : stars == 1 ? 1 : -1;
      case 2 -> stars - 3 < -1 || stars - 3 > 1 ? null : stars - 3;
      default -> stars < 2 ? 0 : -1;
    };
  }

  static int[] stars(DatasetStore store, Manifest m, RootAllocator allocator) {
    int[] out = new int[ROWS];
    for (int c = 0; c < m.chunks().size(); c++) {
      try (VectorSchemaRoot root = store.readChunk(m, c, allocator)) {
        IntVector v = (IntVector) root.getVector("stars");
        for (int i = 0; i < root.getRowCount(); i++) {
          out[(int) m.chunk(c).firstRow() + i] = v.get(i);
        }
      }
    }
    return out;
  }

  /**
   * Verifies that without {@code faultTolerant} an expression failing on a row fails the chunk with
   * INVALID_ARGUMENT naming the LF, the dataset row and the cause; that with it the LF abstains exactly
   * on the failing rows (columnar path, interpreter and out-of-range class alike), its faults per chunk
   * are the number of those rows, and a second run served from the label cache reports the same faults
   * without computing anything; and that a flag that is not a boolean is refused.
   */
  @Test
  void faultsAbstainAreCountedAndSurviveTheCache() throws Exception {
    try (RootAllocator allocator = TestAllocators.root()) {
      DatasetStore store = new DatasetStore(dir, CHUNK_ROWS);
      Manifest m;
      try (DatasetUpload upload = store.beginUpload("r", ReviewsGenerator.SCHEMA, allocator);
           VectorSchemaRoot batch = new ReviewsGenerator(3).batch(0, ROWS, allocator)) {
        upload.append(batch);
        m = upload.commit();
      }
      int[] stars = stars(store, m, allocator);
      LabelCache cache = new LabelCache(dir);
      ChunkLabeler labeler = new ChunkLabeler(store, cache, new LfCompiler(LfLimits.DEFAULT));
      LabelStore labels = new LabelStore(dir, store, cache);

      List<LfSpec> strict = specs(false);
      for (int lf = 0; lf < EXPRS.length; lf++) {
        ChunkLabeler.JobLfs one = labeler.jobLfs(m, List.of(strict.get(lf)), SPACE);
        LfRowException e = assertThrows(LfRowException.class, () -> labeler.label(m, 1, one, allocator, null));
        int firstBad = CHUNK_ROWS;
        while (expected(lf, stars[firstBad]) != null) {
          firstBad++;
        }
        assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().startsWith("LF 'e" + lf + "' (expression) failed on row " + firstBad + ": "),
            e.getMessage());
        assertTrue(e.getMessage().contains("faultTolerant"), e.getMessage());
      }
      LfRowException div = assertThrows(LfRowException.class,
          () -> labeler.label(m, 0, labeler.jobLfs(m, List.of(strict.get(0)), SPACE), allocator, null));
      assertTrue(div.getMessage().contains("division by zero"), div.getMessage());

      ChunkLabeler.JobLfs lfs = labeler.jobLfs(m, specs(true), SPACE);
      labels.create("job-1", new LabelStore.JobLabels(m.name(), m.version(), lfs.names(), lfs.fingerprints()));
      long[] faults = new long[lfs.specs().size()];
      List<int[]> perChunk = new ArrayList<>();
      for (int c = 0; c < m.chunks().size(); c++) {
        ChunkLabeler.Result result = labeler.label(m, c, lfs, allocator, null);
        perChunk.add(result.faults());
        int[] want = new int[lfs.specs().size()];
        try (VectorSchemaRoot root = labels.read("job-1", c, result.payload(), allocator)) {
          for (int lf = 0; lf < lfs.specs().size(); lf++) {
            TinyIntVector v = (TinyIntVector) root.getVector(lf + 1);
            for (int i = 0; i < root.getRowCount(); i++) {
              Integer e = expected(lf, stars[(int) m.chunk(c).firstRow() + i]);
              want[lf] += e == null ? 1 : 0;
              assertEquals(e == null ? -1 : e, v.get(i), "LF " + lf + " row " + i + " of chunk " + c);
            }
          }
        }
        assertArrayEquals(want, result.faults(), "faults of chunk " + c);
        for (int lf = 0; lf < faults.length; lf++) {
          faults[lf] += want[lf];
        }
      }
      assertTrue(faults[0] > 0 && faults[1] > 0 && faults[2] > 0 && faults[3] == 0, java.util.Arrays.toString(faults));

      long computed = labeler.lfChunkEvaluations();
      ChunkLabeler fresh = new ChunkLabeler(store, new LabelCache(dir), new LfCompiler(LfLimits.DEFAULT));
      for (int c = 0; c < m.chunks().size(); c++) {
        ChunkLabeler.Result cached = fresh.label(m, c, lfs, allocator, null);
        assertEquals(0, cached.computed().length, "served from the cache");
        assertArrayEquals(perChunk.get(c), cached.faults(), "the same faults from cached columns");
      }
      assertEquals(0, fresh.lfChunkEvaluations());
      assertEquals(computed, labeler.lfChunkEvaluations());
      assertNull(labeler.label(m, 0, labeler.jobLfs(m, List.of(specs(true).get(3)), SPACE), allocator, null).faults(),
          "an LF that never fails reports no faults");
      LabelFlightException notABoolean = assertThrows(LabelFlightException.class, () -> new LfCompiler(LfLimits.DEFAULT)
          .compile(List.of(LfSpec.parse(JSON.readTree("{\"name\":\"k\",\"kind\":\"keyword\",\"column\":\"text\","
              + "\"keywords\":[\"a\"],\"label\":\"HAM\",\"faultTolerant\":\"yes\"}"), 0)), SPACE, m.arrowSchema()));
      assertTrue(notABoolean.getMessage().contains("LF 'k' (keyword): 'faultTolerant' must be true or false"),
          notABoolean.getMessage());
    }
  }
}
