package dev.labelflight.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dev user's token kept in the data directory across restarts ({@code auth.devUser.keepToken}). */
class DevTokenTest {
  private static JsonObject auth(boolean keep, String token) {
    return new JsonObject().put("devUser", new JsonObject().put("enabled", true).put("token", token).put("keepToken", keep));
  }

  /** Verifies that with keepToken a second start gets the first start's token, kept in a 0600 file, and that it logs in. */
  @Test
  void keptTokenSurvivesRestarts(@TempDir Path data) throws Exception {
    AuthSettings first = AuthSettings.from(auth(true, ""), data);
    AuthSettings second = AuthSettings.from(auth(true, ""), data);
    assertEquals(first.devToken(), second.devToken());
    Path file = data.resolve(DevToken.FILE);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(first.devToken(), Files.readString(file).strip());
    assertEquals("dev", second.users().authenticate(first.devToken()).orElseThrow());
  }

  /** Verifies that without keepToken every start has a new token and nothing is written, and that a given token wins. */
  @Test
  void withoutKeepTokenEachStartIsNew(@TempDir Path data) {
    assertNotEquals(AuthSettings.from(auth(false, ""), data).devToken(), AuthSettings.from(auth(false, ""), data).devToken());
    assertTrue(!Files.exists(data.resolve(DevToken.FILE)));
    assertEquals("given", AuthSettings.from(auth(true, "given"), data).devToken());
  }

  /** Verifies that a token file others can read is refused rather than used. */
  @Test
  void worldReadableTokenFileIsRefused(@TempDir Path data) throws Exception {
    Path file = data.resolve(DevToken.FILE);
    Files.writeString(file, "abc\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AuthSettings.from(auth(true, ""), data));
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
  }
}
