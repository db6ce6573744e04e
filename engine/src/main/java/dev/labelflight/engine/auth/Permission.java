package dev.labelflight.engine.auth;

import java.util.Locale;

/**
 * What a user may do beyond the defaults, granted per user in the users configuration
 * ({@code "alice": {"hash": "pbkdf2-sha256$...", "permissions": ["python"]}}). Every user may upload, apply
 * the built-in LF kinds and fit models; anything that runs the user's own code is off unless granted.
 */
public enum Permission {
  /** Run {@code python} LFs: the user's own code, in sandboxed per-user worker processes (SECURITY.md, "Python LFs"). */
  PYTHON("python");

  private final String id;

  Permission(String id) {
    this.id = id;
  }

  /** The name in configuration. */
  public String id() {
    return id;
  }

  /** The permission named {@code id} in configuration; IllegalArgumentException naming the known ones otherwise. */
  public static Permission parse(String id) {
    for (Permission p : values()) {
      if (p.id.equals(id.toLowerCase(Locale.ROOT))) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown permission '" + id + "' (known: python)");
  }
}
