package dev.labelflight.engine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Dataset names, owners and the stored {@code OWNER~NAME} form. */
class DatasetNamesTest {

  /** Verifies that names that could leave the store's directory, or name another owner's dataset, are refused. */
  @Test
  void refusesPathTraversalAndOwnerSyntax() {
    for (String bad : List.of("", "..", ".", "../x", "x/..", "a/b", "a\\b", "/etc", "..x", "x..y", ".hidden",
        "-dash", "a~b", "~b", "a b", "a\u0000b", "a:b", "x".repeat(DatasetNames.MAX_LENGTH + 1))) {
      LabelFlightException e = assertThrows(LabelFlightException.class, () -> DatasetNames.validate(bad), bad);
      assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind());
      assertThrows(LabelFlightException.class, () -> DatasetNames.qualify("alice", bad), bad);
    }
    assertEquals("reviews_2024.v1", DatasetNames.validate("reviews_2024.v1"));
    assertEquals("x".repeat(DatasetNames.MAX_LENGTH), DatasetNames.validate("x".repeat(DatasetNames.MAX_LENGTH)));
  }

  /** Verifies that owners get separate namespaces, that display names drop the owner, and which names an owner sees. */
  @Test
  void qualifiesByOwner() {
    String alices = DatasetNames.qualify("alice", "reviews");
    String bobs = DatasetNames.qualify("bob", "reviews");
    assertEquals("alice~reviews", alices);
    assertFalse(alices.equals(bobs));
    assertEquals("reviews", DatasetNames.qualify(null, "reviews"), "no authentication: no owner part");
    assertEquals("reviews", DatasetNames.display(alices));
    assertEquals("reviews", DatasetNames.display("reviews"));
    assertEquals(alices, DatasetNames.validateStored(alices));
    assertThrows(LabelFlightException.class, () -> DatasetNames.validateStored("al/ce~reviews"));
    assertThrows(LabelFlightException.class, () -> DatasetNames.validateStored("alice~../x"));
    assertThrows(LabelFlightException.class, () -> DatasetNames.qualify("al~ce", "reviews"));
    assertThrows(LabelFlightException.class, () -> DatasetNames.qualify("x".repeat(65), "reviews"));
    assertTrue(DatasetNames.ownedBy(alices, "alice"));
    assertFalse(DatasetNames.ownedBy(alices, "bob"));
    assertFalse(DatasetNames.ownedBy(alices, "alic"));
    assertFalse(DatasetNames.ownedBy("alice~x", "alice~"));
    assertFalse(DatasetNames.ownedBy(alices, null), "the unowned namespace holds no owned dataset");
    assertTrue(DatasetNames.ownedBy("reviews", null));
    assertFalse(DatasetNames.ownedBy("reviews", "alice"));
  }
}
