package dev.labelflight.engine.labelmodel.artifact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmodel.MajorityVote;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ObjectNode document(String kind) {
    ObjectNode doc = JSON.createObjectNode().put("kind", kind);
    doc.putArray("classes").add("HAM").add("SPAM");
    var lfs = doc.putArray("lfs");
    lfs.addObject().put("name", "kw").put("fingerprint", "f1");
    lfs.addObject().put("name", "re").put("fingerprint", "f2");
    doc.set("params", new MajorityVote(2, 2).toJson());
    doc.putObject("settings").put("tiePolicy", "prior");
    return doc;
  }

  /** Verifies that versions are numbered, survive a new store on the same directory, and stay per user. */
  @Test
  void versionsSurviveRestartAndStayPerUser(@TempDir Path dir) {
    ModelStore store = new ModelStore(dir);
    assertEquals(1, store.save("ann", "spam", document("majority")).version());
    assertEquals(2, store.save("ann", "spam", document("majority")).version());
    store.save("bob", "spam", document("majority"));
    ModelStore restarted = new ModelStore(dir);
    assertEquals(2, restarted.load("ann", "spam", null).version());
    assertEquals(1, restarted.load("ann", "spam", 1).version());
    assertEquals(List.of(1, 2), restarted.list("ann").get(0).versions());
    assertEquals(1, restarted.list("bob").size());
    LabelFlightException e = assertThrows(LabelFlightException.class, () -> restarted.load("carl", "spam", null));
    assertEquals(LabelFlightException.Kind.NOT_FOUND, e.kind());
    assertEquals(List.of(2), restarted.delete("ann", "spam", 2));
    assertEquals(List.of(1), restarted.delete("ann", "spam", null));
    assertThrows(LabelFlightException.class, () -> restarted.load("ann", "spam", null));
    assertEquals(1, restarted.load("bob", "spam", null).version(), "another user's model is untouched");
  }

  /** Verifies that a corrupt or truncated version is reported as such, naming the model, and others still load. */
  @Test
  void corruptVersionIsNamed(@TempDir Path dir) throws Exception {
    ModelStore store = new ModelStore(dir);
    store.save("ann", "spam", document("majority"));
    store.save("ann", "spam", document("majority"));
    Path file = dir.resolve("labelmodels/ann~spam/v000002/model.json");
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 1;
    Files.write(file, bytes);
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> store.load("ann", "spam", null));
    assertTrue(e.getMessage().contains("'spam' v2"), e.getMessage());
    assertEquals(1, store.load("ann", "spam", 1).version());
    assertEquals("corrupt", store.list("ann").get(0).kind());
  }

  /** Verifies that a stored model's LFs are matched to a job's by name and spec hash, with clear errors. */
  @Test
  void lfsMatchByNameAndHash(@TempDir Path dir) {
    ModelArtifact a = new ModelStore(dir).save("ann", "spam", document("majority"));
    assertArrayEquals(new int[] {2, 0}, a.columnsIn(List.of("re", "x", "kw"), List.of("f2", "f9", "f1"),
        List.of("HAM", "SPAM")));
    LabelFlightException missing = assertThrows(LabelFlightException.class,
        () -> a.columnsIn(List.of("re"), List.of("f2"), List.of("HAM", "SPAM")));
    assertEquals("kw", missing.details().get("lf"));
    LabelFlightException changed = assertThrows(LabelFlightException.class,
        () -> a.columnsIn(List.of("kw", "re"), List.of("f1", "f3"), List.of("HAM", "SPAM")));
    assertTrue(changed.getMessage().contains("LF 're' changed"), changed.getMessage());
    assertThrows(LabelFlightException.class, () -> a.columnsIn(List.of("kw", "re"), List.of("f1", "f2"),
        List.of("SPAM", "HAM")));
  }

  /** Verifies that names that could escape the store are refused before anything is written. */
  @Test
  void badNamesAreRefused(@TempDir Path dir) {
    ModelStore store = new ModelStore(dir);
    assertThrows(LabelFlightException.class, () -> store.save("ann", "../x", document("majority")));
    assertThrows(LabelFlightException.class, () -> store.save("ann", "a~b", document("majority")));
    assertTrue(store.list("ann").isEmpty());
  }
}
