package dev.labelflight.engine.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Users, their hashed tokens, and the bearer header. */
class UserDirectoryTest {
  private static final int FAST = 1_000;

  /** Verifies that a hash matches its own token only, and that two hashes of one token differ (random salt). */
  @Test
  void hashMatchesOnlyItsToken() {
    String hash = SecretHash.hash("s3cret", FAST);
    assertTrue(hash.startsWith("pbkdf2-sha256$1000$"), hash);
    assertTrue(SecretHash.matches("s3cret", hash));
    assertFalse(SecretHash.matches("s3cret ", hash));
    assertFalse(SecretHash.matches("", hash));
    assertNotEquals(hash, SecretHash.hash("s3cret", FAST));
  }

  /** Verifies that users are found by token (header or basic), and that a wrong or absent token finds nobody. */
  @Test
  void authenticatesByTokenAndByUserAndToken() {
    UserDirectory users = new UserDirectory(true, Map.of(
        "alice", SecretHash.hash("token-a", FAST), "bob", SecretHash.hash("token-b", FAST)));
    assertEquals(Optional.of("alice"), users.authenticate("token-a"));
    assertEquals(Optional.of("bob"), users.authenticate("token-b"));
    assertEquals(Optional.of("bob"), users.authenticate("token-b"), "remembered, same answer");
    assertEquals(Optional.empty(), users.authenticate("token-c"));
    assertEquals(Optional.empty(), users.authenticate(""));
    assertEquals(Optional.empty(), users.authenticate(null));
    assertTrue(users.authenticate("alice", "token-a"));
    assertFalse(users.authenticate("alice", "token-b"), "bob's token is not alice's");
    assertFalse(users.authenticate("carol", "token-a"));
    assertEquals(Optional.of("alice"), users.authenticateHeader("Bearer token-a"));
    assertEquals(Optional.of("alice"), users.authenticateHeader("bearer token-a"));
    assertEquals(Optional.empty(), users.authenticateHeader("Basic token-a"));
    assertEquals(Optional.empty(), users.authenticateHeader("Bearer "));
    assertEquals(Optional.empty(), users.authenticateHeader(null));
  }

  /** Verifies that a permission holds only for the users granted it, and never without authentication. */
  @Test
  void permissionsAreGrantedPerUser() {
    UserDirectory users = new UserDirectory(true, Map.of("alice", SecretHash.hash("a", FAST), "bob", SecretHash.hash("b", FAST)),
        Map.of("alice", java.util.Set.of(Permission.PYTHON)), AuthThrottle.Limits.NONE);
    assertTrue(users.permits("alice", Permission.PYTHON));
    assertFalse(users.permits("bob", Permission.PYTHON));
    assertFalse(users.permits(null, Permission.PYTHON));
    assertFalse(UserDirectory.disabled().permits("alice", Permission.PYTHON));
    assertThrows(IllegalArgumentException.class, () -> new UserDirectory(true, Map.of("alice", SecretHash.hash("a", FAST)),
        Map.of("carol", java.util.Set.of(Permission.PYTHON)), AuthThrottle.Limits.NONE));
    assertEquals(Permission.PYTHON, Permission.parse("python"));
    assertThrows(IllegalArgumentException.class, () -> Permission.parse("root"));
  }

  /** Verifies that a malformed hash or user name in the configuration is refused at start, naming the user. */
  @Test
  void refusesBadConfiguration() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new UserDirectory(true, Map.of("alice", "plain-text-token")));
    assertTrue(e.getMessage().contains("alice") && e.getMessage().contains("pbkdf2-sha256$"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new UserDirectory(true, Map.of("alice", "pbkdf2-sha256$0$AAAAAAAAAAAAAAAAAAAAAA$" + "A".repeat(43))));
    assertThrows(LabelFlightException.class,
        () -> new UserDirectory(true, Map.of("../root", SecretHash.hash("t", FAST))));
    assertThrows(LabelFlightException.class,
        () -> new UserDirectory(true, Map.of("a~b", SecretHash.hash("t", FAST))));
  }
}
