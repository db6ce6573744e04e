package dev.labelflight.server.auth;

import dev.labelflight.engine.auth.AuthThrottle;
import dev.labelflight.engine.auth.Permission;
import dev.labelflight.engine.auth.SecretHash;
import dev.labelflight.engine.auth.UserDirectory;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code auth} section of the configuration: {@code enabled}; {@code users} (name to secret hash,
 * {@link SecretHash} format, made with {@code bin/hash-token}, or to {@code {"hash", "permissions": ["python"]}}
 * for a user granted a {@link Permission}); {@code usersFile} (a JSON file of the same
 * shape, merged in: for secrets mounted at deploy time); {@code devUser: {enabled, name, token, keepToken}} (a
 * demo user whose token, given or random, is printed at start; {@code bin/serve} turns it on, nothing else; with
 * {@code keepToken} and no {@code token}, the random token is kept in {@link DevToken#FILE} in the data directory,
 * so that it stays the same across restarts);
 * {@code failures: {perAddress, perUser, perNode, windowMs}} (how many wrong credentials are checked per
 * window before further ones are refused unchecked: {@link AuthThrottle}).
 */
public record AuthSettings(UserDirectory users, String devUser, String devToken) {
  /** Iterations for the dev user's hash: its token lives only in this process, so hashing it slowly buys nothing. */
  private static final int DEV_ITERATIONS = 1_000;

  public static AuthSettings from(JsonObject auth) {
    return from(auth, null);
  }

  /** As {@link #from(JsonObject)}; {@code dataDir} holds the dev user's kept token ({@code devUser.keepToken}). */
  public static AuthSettings from(JsonObject auth, Path dataDir) {
    if (!auth.getBoolean("enabled", true)) {
      return new AuthSettings(UserDirectory.disabled(), null, null);
    }
    Map<String, String> hashes = new LinkedHashMap<>();
    Map<String, Set<Permission>> permissions = new LinkedHashMap<>();
    auth.getJsonObject("users", new JsonObject()).forEach(e -> user(e.getKey(), e.getValue(), hashes, permissions));
    String file = auth.getString("usersFile", "");
    if (!file.isEmpty()) {
      try {
        new JsonObject(Files.readString(Path.of(file))).forEach(e -> user(e.getKey(), e.getValue(), hashes, permissions));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read auth.usersFile " + file, e);
      }
    }
    JsonObject dev = auth.getJsonObject("devUser", new JsonObject());
    String devUser = null;
    String devToken = null;
    if (dev.getBoolean("enabled", false)) {
      devUser = dev.getString("name", "dev");
      devToken = dev.getString("token", "");
      if (devToken.isEmpty() && dev.getBoolean("keepToken", false) && dataDir != null) {
        devToken = DevToken.keptIn(dataDir);
      } else if (devToken.isEmpty()) {
        devToken = SecretHash.randomToken();
      }
      if (hashes.containsKey(devUser)) {
        throw new IllegalArgumentException("auth.devUser.name '" + devUser + "' is also a configured user");
      }
      hashes.put(devUser, SecretHash.hash(devToken, DEV_ITERATIONS));
    }
    return new AuthSettings(new UserDirectory(true, hashes, permissions,
        failureLimits(auth.getJsonObject("failures", new JsonObject()))), devUser, devToken);
  }

  /**
   * One entry of {@code users}: the hash alone ({@code "alice": "pbkdf2-sha256$..."}) or an object with the
   * hash and the user's {@link Permission}s ({@code "alice": {"hash": "...", "permissions": ["python"]}}).
   */
  private static void user(String name, Object entry, Map<String, String> hashes, Map<String, Set<Permission>> permissions) {
    if (entry instanceof JsonObject object) {
      hashes.put(name, String.valueOf(object.getValue("hash")));
      Set<Permission> granted = EnumSet.noneOf(Permission.class);
      try {
        object.getJsonArray("permissions", new JsonArray()).forEach(p -> granted.add(Permission.parse(String.valueOf(p))));
      } catch (IllegalArgumentException | ClassCastException e) {
        throw new IllegalArgumentException("user '" + name + "': " + e.getMessage(), e);
      }
      permissions.put(name, granted);
    } else {
      hashes.put(name, String.valueOf(entry));
      permissions.remove(name);
    }
  }

  /** {@code auth.failures}: wrong credentials hashed per window, per address, per named user and per node. */
  static AuthThrottle.Limits failureLimits(JsonObject failures) {
    AuthThrottle.Limits d = AuthThrottle.Limits.DEFAULT;
    return new AuthThrottle.Limits(failures.getInteger("perAddress", d.perAddress()),
        failures.getInteger("perUser", d.perUser()), failures.getInteger("perNode", d.perNode()),
        failures.getLong("windowMs", d.windowMs()));
  }

  /** Who owns the demo dataset: the dev user's name (default "dev") with authentication, nobody without. */
  public static String demoOwner(JsonObject auth) {
    return auth.getBoolean("enabled", true) ? auth.getJsonObject("devUser", new JsonObject()).getString("name", "dev") : null;
  }
}
