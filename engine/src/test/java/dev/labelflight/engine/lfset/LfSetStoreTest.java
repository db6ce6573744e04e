package dev.labelflight.engine.lfset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifies saving, reading and refusing LF sets. */
class LfSetStoreTest {
  @TempDir
  Path dataDir;

  /** Verifies that a saved set is read back by a new store, replaced whole by the next save, and leaves no temp files. */
  @Test
  void savesAndReplacesAtomically() throws Exception {
    LfSetStore store = new LfSetStore(dataDir);
    assertTrue(store.get("reviews").isEmpty());
    store.put("reviews", "{\"labels\":[\"HAM\",\"SPAM\"],\"lfs\":[{\"name\":\"a\",\"kind\":\"regex\",\"pattern\":\"(\"}]}");
    store.put("reviews", "{\"labels\":[\"HAM\",\"SPAM\"],\"lfs\":[{\"name\":\"b\",\"kind\":\"keyword\"}],\"gold\":\"gold\"}");
    var read = new LfSetStore(dataDir).get("reviews").orElseThrow();
    assertEquals("b", read.get("lfs").get(0).get("name").asText());
    assertEquals("gold", read.get("gold").asText());
    try (Stream<Path> files = Files.list(dataDir.resolve("lfsets"))) {
      assertEquals(1, files.count());
    }
  }

  /** Verifies that each kind of malformed set is refused as INVALID_ARGUMENT naming the problem. */
  @Test
  void refusesMalformedSets() {
    LfSetStore store = new LfSetStore(dataDir);
    assertInvalid(store, "[]", "must be a JSON object");
    assertInvalid(store, "{\"labels\":\"HAM\",\"lfs\":[]}", "'labels' must be a list");
    assertInvalid(store, "{\"labels\":[\"A\"],\"lfs\":[{\"kind\":\"regex\"}]}", "has no 'name'");
    assertInvalid(store, "{\"labels\":[\"A\"],\"lfs\":[{\"name\":\"x\"}]}", "missing 'kind'");
    assertInvalid(store, "{\"labels\":[\"A\"],\"lfs\":[],\"gold\":3}", "'gold' must be a column name");
    assertInvalid(store, "{\"labels\":[\"A\"],\"lfs\":[", "malformed JSON");
    assertInvalid(store, null, "missing 'set'");
    assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT,
        assertThrows(LabelFlightException.class, () -> store.get("../x")).kind());
    assertTrue(store.get("reviews").isEmpty());
  }

  private static void assertInvalid(LfSetStore store, String json, String text) {
    LabelFlightException e = assertThrows(LabelFlightException.class, () -> store.put("reviews", json));
    assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind());
    assertTrue(e.getMessage().contains(text), e.getMessage());
  }
}
