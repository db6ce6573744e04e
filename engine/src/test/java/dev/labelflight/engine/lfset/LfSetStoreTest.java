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

  /**
   * Verifies that every save is a new version naming its user and client, that the history lists them newest
   * first with what changed, and that old versions stay readable.
   */
  @Test
  void versionsRecordWhoChangedWhat() {
    LfSetStore store = new LfSetStore(dataDir);
    var first = store.put("alice~reviews", "{\"labels\":[\"HAM\",\"SPAM\"],\"lfs\":[{\"name\":\"a\",\"kind\":\"regex\"}]}",
        new LfSetStore.Author("alice", "page"), 0);
    assertEquals(1, first.get("version").asInt());
    assertEquals("alice", first.get("user").asText());
    var second = store.put("alice~reviews", "{\"labels\":[\"HAM\",\"SPAM\"],\"lfs\":[{\"name\":\"a\",\"kind\":\"regex\","
        + "\"pattern\":\"x\"},{\"name\":\"b\",\"kind\":\"keyword\"}],\"version\":1,\"user\":\"mallory\"}",
        new LfSetStore.Author("alice", "python"), 1);
    assertEquals(2, second.get("version").asInt());
    assertEquals("alice", second.get("user").asText(), "the author is who saved, not what the body says");
    assertEquals("python", second.get("source").asText());
    assertEquals("[\"b\"]", second.get("changes").get("added").toString());
    assertEquals("[\"a\"]", second.get("changes").get("changed").toString());
    var history = store.history("alice~reviews", 10);
    assertEquals(2, history.size());
    assertEquals(2, history.get(0).get("version").asInt());
    assertEquals("python", history.get(0).get("source").asText());
    assertTrue(history.get(1).get("changes").get("created").asBoolean());
    assertEquals(1, store.get("alice~reviews", 1).orElseThrow().get("lfs").size());
    assertEquals(2, new LfSetStore(dataDir).get("alice~reviews").orElseThrow().get("version").asInt());
  }

  /** Verifies that a save based on a version another save replaced is refused, naming the newer version and its author. */
  @Test
  void refusesASaveBasedOnAnOldVersion() {
    LfSetStore store = new LfSetStore(dataDir);
    String set = "{\"labels\":[\"HAM\",\"SPAM\"],\"lfs\":[]}";
    store.put("reviews", set, new LfSetStore.Author("alice", "page"), null);
    store.put("reviews", set, new LfSetStore.Author("alice", "python"), 1);
    LabelFlightException e = assertThrows(LabelFlightException.class,
        () -> store.put("reviews", set, new LfSetStore.Author("alice", "page"), 1));
    assertEquals(LabelFlightException.Kind.ALREADY_EXISTS, e.kind());
    assertTrue(e.getMessage().contains("version 2 was saved by alice (python)"), e.getMessage());
    assertEquals(2, store.get("reviews").orElseThrow().get("version").asInt());
    assertThrows(LabelFlightException.class, () -> store.put("fresh", set, new LfSetStore.Author("a", "page"), 3));
    assertEquals(1, store.put("fresh", set, new LfSetStore.Author("a", "page"), 0).get("version").asInt());
  }

  private static void assertInvalid(LfSetStore store, String json, String text) {
    LabelFlightException e = assertThrows(LabelFlightException.class, () -> store.put("reviews", json));
    assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind());
    assertTrue(e.getMessage().contains(text), e.getMessage());
  }
}
