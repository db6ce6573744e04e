package dev.labelflight.engine.devset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.error.LabelFlightException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifies the dev-set store: labels saved per dataset version, merged, read back as gold, refused when wrong. */
class DevSetStoreTest {
  private static final List<String> CLASSES = List.of("HAM", "SPAM");

  @TempDir
  Path dataDir;

  /** Verifies that saves merge into the version's dev set, null removes a label, and a new store reads it back. */
  @Test
  void savesMergesAndReadsBack() throws Exception {
    DevSetStore store = new DevSetStore(dataDir);
    assertEquals(0, store.get("alice~reviews", 1).size());
    store.label("alice~reviews", 1, 100, Map.of(7L, "SPAM", 3L, "HAM"), "alice");
    Map<Long, String> second = new HashMap<>();
    second.put(3L, null);
    second.put(50L, "HAM");
    DevSet saved = store.label("alice~reviews", 1, 100, second, "alice");
    assertArrayEquals(new long[] {7, 50}, saved.rows());
    DevSet read = new DevSetStore(dataDir).get("alice~reviews", 1);
    assertArrayEquals(new long[] {7, 50}, read.rows());
    assertArrayEquals(new String[] {"SPAM", "HAM"}, read.labels());
    assertEquals("alice", read.user());
    assertEquals("reviews", read.dataset());
    assertNull(read.label(3));
    assertEquals(0, store.get("alice~reviews", 2).size(), "another version has its own dev set");
    try (Stream<Path> files = Files.walk(dataDir.resolve("devsets"))) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temp files left");
    }
  }

  /** Verifies that a bad row, a bad class name and too many changes are refused and nothing is written. */
  @Test
  void refusesBadLabels() {
    DevSetStore store = new DevSetStore(dataDir);
    assertInvalid(() -> store.label("reviews", 1, 10, Map.of(10L, "HAM"), "u"), "row 10 is not a row");
    assertInvalid(() -> store.label("reviews", 1, 10, Map.of(-1L, "HAM"), "u"), "row -1 is not a row");
    assertInvalid(() -> store.label("reviews", 1, 10, Map.of(1L, ""), "u"), "class name");
    Map<Long, String> many = new HashMap<>();
    for (long r = 0; r <= DevSetStore.MAX_CHANGES; r++) {
      many.put(r, "HAM");
    }
    assertInvalid(() -> store.label("reviews", 1, 1_000_000, many, "u"), "at most " + DevSetStore.MAX_CHANGES);
    assertInvalid(() -> store.get("../x", 1), "");
    assertEquals(0, store.get("reviews", 1).size());
  }

  /** Verifies that an edited or truncated file is reported as corrupt, never read as labels. */
  @Test
  void detectsCorruption() throws Exception {
    DevSetStore store = new DevSetStore(dataDir);
    store.label("reviews", 1, 10, Map.of(1L, "HAM", 2L, "SPAM"), "u");
    Path file = dataDir.resolve("devsets/reviews/v000001.json");
    Files.writeString(file, Files.readString(file).replace("\"SPAM\"", "\"HAM\""));
    assertThrows(CorruptDataException.class, () -> store.get("reviews", 1));
    Files.writeString(file, "{\"rows\": [1, 2]");
    assertThrows(CorruptDataException.class, () -> store.get("reviews", 1));
  }

  /** Verifies that dev labels become gold class indexes per chunk, with -1 elsewhere, and runs of labelled rows. */
  @Test
  void readsAsGold() throws Exception {
    DevSetStore store = new DevSetStore(dataDir);
    store.label("reviews", 1, 100, Map.of(4L, "SPAM", 5L, "SPAM", 6L, "HAM", 9L, "HAM", 40L, "SPAM"), "u");
    DevGold gold = store.get("reviews", 1).gold(CLASSES);
    assertEquals(5, gold.count());
    assertArrayEquals(new short[] {-1, 1, 1, 0, -1, -1, 0, -1}, gold.read(3, 8));
    assertTrue(gold.any(0, 5));
    assertTrue(!gold.any(10, 30));
    List<int[]> runs = new ArrayList<>();
    gold.forEachRun(0, 10, (offset, length) -> runs.add(new int[] {offset, length}));
    assertEquals(List.of("4+3", "9+1"), runs.stream().map(r -> r[0] + "+" + r[1]).toList());
    LabelFlightException e = assertThrows(LabelFlightException.class,
        () -> store.get("reviews", 1).gold(List.of("NEG", "POS")));
    assertTrue(e.getMessage().contains("'SPAM', which is not one of the classes"), e.getMessage());
  }

  /** Verifies that the labelling order visits every row once and spreads the first rows over the dataset. */
  @Test
  void shuffleIsAPermutation() {
    for (long rows : new long[] {1, 2, 3, 10, 97, 1000, 20_000}) {
      Set<Long> seen = new HashSet<>();
      for (long p = 0; p < rows; p++) {
        long row = RowShuffle.rowAt(p, rows);
        assertTrue(row >= 0 && row < rows);
        seen.add(row);
      }
      assertEquals(rows, seen.size(), "a permutation of " + rows + " rows");
    }
    long inFirstTenth = 0;
    for (long p = 0; p < 100; p++) {
      inFirstTenth += RowShuffle.rowAt(p, 20_000) < 2_000 ? 1 : 0;
    }
    assertTrue(inFirstTenth < 30, "the first 100 rows spread over the dataset: " + inFirstTenth + " in its first tenth");
  }

  private static void assertInvalid(org.junit.jupiter.api.function.Executable call, String text) {
    LabelFlightException e = assertThrows(LabelFlightException.class, call);
    assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind());
    assertTrue(e.getMessage().contains(text), e.getMessage());
  }
}
