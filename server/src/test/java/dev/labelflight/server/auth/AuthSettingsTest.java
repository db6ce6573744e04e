package dev.labelflight.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.auth.Permission;
import dev.labelflight.engine.auth.SecretHash;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class AuthSettingsTest {
  /**
   * Verifies that a users entry is a hash or an object with its hash and permissions, that only the users
   * granted {@code python} may run Python LFs, that an unknown permission stops the start naming the user,
   * and that {@code auth.failures} reaches the throttle.
   */
  @Test
  void usersWithPermissionsAndFailureLimits() {
    JsonObject auth = new JsonObject()
        .put("users", new JsonObject()
            .put("alice", new JsonObject().put("hash", SecretHash.hash("a", 10)).put("permissions", new JsonArray().add("python")))
            .put("bob", SecretHash.hash("b", 10)))
        .put("failures", new JsonObject().put("perAddress", 3));
    AuthSettings settings = AuthSettings.from(auth);
    assertEquals("alice", settings.users().authenticate("a").orElseThrow());
    assertTrue(settings.users().permits("alice", Permission.PYTHON));
    assertFalse(settings.users().permits("bob", Permission.PYTHON));
    assertEquals(3, settings.users().failureLimits().perAddress());
    assertEquals(20, settings.users().failureLimits().perUser(), "default");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AuthSettings.from(new JsonObject()
        .put("users", new JsonObject().put("carol", new JsonObject().put("hash", SecretHash.hash("c", 10))
            .put("permissions", new JsonArray().add("root"))))));
    assertTrue(e.getMessage().contains("carol") && e.getMessage().contains("root"), e.getMessage());
  }
}
