package dev.labelflight.engine.cache;

import dev.labelflight.engine.memory.footprint.LabelFootprint;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelCacheTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  static LfSpec spec(String json) throws Exception {
    return LfSpec.parse(JSON.readTree(json), 0);
  }

  static Manifest upload(DatasetStore store, RootAllocator allocator, int rows) {
    try (DatasetUpload upload = store.beginUpload("r", ReviewsGenerator.SCHEMA, allocator);
         VectorSchemaRoot batch = new ReviewsGenerator(1).batch(0, rows, allocator)) {
      upload.append(batch);
      return upload.commit();
    }
  }

  /** Verifies that a fingerprint ignores the LF name and key order but not its fields or the class list. */
  @Test
  void fingerprintIgnoresNameOnly() throws Exception {
    LabelSpace hamSpam = new LabelSpace(List.of("HAM", "SPAM"));
    String a = LfFingerprint.of(spec("{\"name\":\"a\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"x\",\"label\":\"SPAM\"}"), hamSpam);
    String b = LfFingerprint.of(spec("{\"label\":\"SPAM\",\"pattern\":\"x\",\"column\":\"text\",\"kind\":\"regex\",\"name\":\"b\"}"), hamSpam);
    String c = LfFingerprint.of(spec("{\"name\":\"a\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"y\",\"label\":\"SPAM\"}"), hamSpam);
    String d = LfFingerprint.of(spec("{\"name\":\"a\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"x\",\"label\":\"SPAM\"}"),
        new LabelSpace(List.of("SPAM", "HAM")));
    assertEquals(a, b);
    assertNotEquals(a, c);
    assertNotEquals(a, d, "the same label name is another index in another class list");
  }

  /**
   * Verifies that columns written one segment at a time are read back whole by a new cache instance (a
   * restart), that many narrow segments are compacted into few files, that a corrupt segment reads as
   * missing, and that dropping the dataset removes its labels.
   */
  @Test
  void segmentsSurviveRestartCompactAndDetectCorruption() throws Exception {
    try (RootAllocator allocator = new RootAllocator()) {
      DatasetStore store = new DatasetStore(dir, 1000);
      Manifest m = upload(store, allocator, 1000);
      LabelCache cache = new LabelCache(dir);
      List<String> prints = new ArrayList<>();
      List<byte[]> columns = new ArrayList<>();
      for (int lf = 0; lf < 40; lf++) {
        byte[] column = new byte[1000];
        for (int row = 0; row < 1000; row++) {
          column[row] = (byte) ((row * (lf + 1)) % 3 - 1);
        }
        prints.add(String.format("%064x", lf));
        columns.add(column);
        cache.write(m, 0, List.of(prints.get(lf)), new byte[][] {column}, allocator);
      }
      assertTrue(cache.segments(m, 0, allocator) <= LabelCache.COMPACT_AT + 1,
          "40 one-column writes must be compacted: " + cache.segments(m, 0, allocator));

      LabelCache restarted = new LabelCache(dir);
      byte[][] read = restarted.read(m, 0, prints, allocator);
      for (int lf = 0; lf < 40; lf++) {
        assertArrayEquals(columns.get(lf), read[lf], "column " + lf);
      }
      assertNull(restarted.read(m, 0, List.of(String.format("%064x", 99)), allocator)[0]);

      // Flip a byte in every segment: every column reads as missing, never as wrong labels.
      try (Stream<Path> files = Files.walk(dir.resolve("cache"))) {
        for (Path f : files.filter(p -> p.getFileName().toString().startsWith("seg-")).toList()) {
          byte[] bytes = Files.readAllBytes(f);
          bytes[bytes.length / 2] ^= 1;
          Files.write(f, bytes);
        }
      }
      LabelCache afterCorruption = new LabelCache(dir);
      for (byte[] column : afterCorruption.read(m, 0, prints, allocator)) {
        assertNull(column);
      }

      cache.write(m, 0, List.of(prints.get(0)), new byte[][] {columns.get(0)}, allocator);
      cache.drop("r");
      assertTrue(Files.notExists(dir.resolve("cache").resolve("r")));
      assertNull(new LabelCache(dir).read(m, 0, List.of(prints.get(0)), allocator)[0]);
    }
  }

  /**
   * Verifies that reading one cached column back from a wide (compacted) segment fits in the label
   * estimate of a one-LF job: a segment is decoded whole, so the estimate must cover its width.
   */
  @Test
  void oneColumnFromAWideSegmentFitsTheOneLfEstimate() throws Exception {
    int rows = 65_536;
    try (RootAllocator allocator = new RootAllocator()) {
      DatasetStore store = new DatasetStore(dir, rows);
      Manifest m = upload(store, allocator, rows);
      LabelCache cache = new LabelCache(dir);
      List<String> prints = new ArrayList<>();
      byte[][] columns = new byte[LabelCache.SEGMENT_COLUMNS][rows];
      for (int lf = 0; lf < LabelCache.SEGMENT_COLUMNS; lf++) {
        prints.add(String.format("%064x", lf + 1000));
        java.util.Arrays.fill(columns[lf], (byte) (lf % 2));
      }
      cache.write(m, 0, prints, columns, allocator);
      long estimate = LabelFootprint.chunk(rows, 1);
      try (org.apache.arrow.memory.BufferAllocator capped = allocator.newChildAllocator("one LF", 0, estimate)) {
        byte[][] read = new LabelCache(dir).read(m, 0, List.of(prints.get(7)), capped);
        assertArrayEquals(columns[7], read[0]);
      }
    }
  }

  /**
   * Verifies that columns written behind are read at once from the heap layer, are on disk (a new cache
   * instance reads them) after a flush, that no temporary or partial segment is left, that the writer's
   * allocator is freed at close, and that with the heap layer full of columns waiting for the writer
   * further writes are made in place (and still read back).
   */
  @Test
  void writeBehindServesFromMemoryThenFromDisk() throws Exception {
    int rows = 4096;
    try (RootAllocator allocator = new RootAllocator()) {
      DatasetStore store = new DatasetStore(dir, rows);
      Manifest m = upload(store, allocator, rows);
      // 8 MiB: 6 MiB of columns, of which 1.5 MiB may wait for the writer.
      LabelCache cache = new LabelCache(dir, 8 << 20, allocator);
      List<String> prints = new ArrayList<>();
      List<byte[]> columns = new ArrayList<>();
      for (int lf = 0; lf < 500; lf++) {
        byte[] column = new byte[rows];
        java.util.Arrays.fill(column, (byte) (lf % 3 - 1));
        column[lf] = LabelSpace.FAULT;
        prints.add(String.format("%064x", lf + 5000));
        columns.add(column);
        cache.writeBehind(m, 0, List.of(prints.get(lf)), new byte[][] {column}, allocator);
        assertArrayEquals(column, cache.read(m, 0, List.of(prints.get(lf)), allocator)[0], "column " + lf);
      }
      cache.flush();
      byte[][] read = new LabelCache(dir).read(m, 0, prints, allocator);
      for (int lf = 0; lf < prints.size(); lf++) {
        assertArrayEquals(columns.get(lf), read[lf], "column " + lf + " on disk");
      }
      try (Stream<Path> files = Files.walk(dir.resolve("cache"))) {
        assertEquals(0, files.filter(p -> p.getFileName().toString().endsWith(".tmp")).count());
      }
      cache.close();
      // Closed: writes are made in place.
      cache.writeBehind(m, 0, List.of(String.format("%064x", 1)), new byte[][] {columns.get(0)}, allocator);
      assertArrayEquals(columns.get(0), new LabelCache(dir).read(m, 0, List.of(String.format("%064x", 1)), allocator)[0]);
    }
  }

  /** Verifies that the word-at-a-time fault check finds a fault at every position and none where there is none. */
  @Test
  void faultsAreFoundAtEveryPosition() {
    for (int length : new int[] {0, 1, 7, 8, 9, 64, 67}) {
      byte[] column = new byte[length];
      for (int i = 0; i < length; i++) {
        column[i] = (byte) (i % 4 - 1); // -1..2, never FAULT (-2)
      }
      assertTrue(!LabelSpace.hasFaults(column), "length " + length);
      assertTrue(LabelSpace.withoutFaults(column) == column);
      for (int at = 0; at < length; at++) {
        byte[] faulty = column.clone();
        faulty[at] = LabelSpace.FAULT;
        assertTrue(LabelSpace.hasFaults(faulty), "fault at " + at + " of " + length);
        assertEquals(LabelSpace.ABSTAIN, LabelSpace.withoutFaults(faulty)[at]);
      }
    }
  }
}
