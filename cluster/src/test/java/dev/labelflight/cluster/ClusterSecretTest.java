package dev.labelflight.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSecretTest {
  @TempDir Path dir;

  /**
   * Verifies that every node holding the same secret derives the same values, that each use has its own
   * (none contains the secret or another), that a file's surrounding whitespace is ignored, that short or
   * missing secrets are refused, and that the secret never shows in toString.
   */
  @Test
  void derivedValuesAreStablePerSecretAndDistinctPerUse() throws Exception {
    String text = "a-cluster-secret-of-enough-length";
    ClusterSecret a = ClusterSecret.of(text);
    Path file = dir.resolve("secret");
    Files.writeString(file, text + "\n");
    ClusterSecret b = ClusterSecret.configured("", file.toString()).orElseThrow();
    assertEquals(a.clusterName("labelflight"), b.clusterName("labelflight"));
    assertEquals(a.nodeCredential(), b.nodeCredential());
    assertEquals(a.busCredential(), b.busCredential());
    Set<String> uses = Set.of(a.clusterName("labelflight"), a.clusterName("other"), a.nodeCredential(), a.busCredential());
    assertEquals(4, uses.size());
    for (String use : uses) {
      assertFalse(use.contains(text));
    }
    assertNotEquals(a.nodeCredential(), ClusterSecret.of(text + "!").nodeCredential());
    assertNotEquals(ClusterSecret.random().clusterName("labelflight"), ClusterSecret.random().clusterName("labelflight"));
    assertEquals(Optional.empty(), ClusterSecret.configured("", ""));
    assertThrows(IllegalArgumentException.class, () -> ClusterSecret.of("short"));
    Files.writeString(file, "short\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClusterSecret.configured("", file.toString()));
    assertTrue(e.getMessage().contains("secretFile"), e.getMessage());
    assertFalse(a.toString().contains(text));
  }
}
