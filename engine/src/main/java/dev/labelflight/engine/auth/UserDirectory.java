package dev.labelflight.engine.auth;

import dev.labelflight.engine.store.DatasetNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The users allowed in and the hashes of their secrets ({@link SecretHash}). A secret is the user's API
 * token: a client sends it as {@code authorization: Bearer TOKEN} (or with the user name in a basic-auth
 * handshake). PBKDF2 is slow on purpose, so a token that matched once is remembered by its SHA-256 (a
 * bounded map, never the token itself); a wrong token costs one PBKDF2 per user, every time.
 */
public final class UserDirectory {
  private static final int REMEMBERED = 4096;

  private final boolean enabled;
  private final Map<String, String> hashes;
  private final Map<String, String> verified = Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > REMEMBERED;
    }
  });

  /** {@code hashes}: user name to secret hash; checked now, so a bad entry stops the server at start. */
  public UserDirectory(boolean enabled, Map<String, String> hashes) {
    this.enabled = enabled;
    Map<String, String> copy = new LinkedHashMap<>();
    hashes.forEach((user, hash) -> {
      DatasetNames.validateOwner(user);
      try {
        SecretHash.validate(hash);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("user '" + user + "': " + e.getMessage(), e);
      }
      copy.put(user, hash);
    });
    this.hashes = Map.copyOf(copy);
  }

  /** No authentication: every caller is anonymous and datasets have no owner. */
  public static UserDirectory disabled() {
    return new UserDirectory(false, Map.of());
  }

  public boolean enabled() {
    return enabled;
  }

  public java.util.Set<String> users() {
    return hashes.keySet();
  }

  /** The user whose token this is, if any. */
  public Optional<String> authenticate(String token) {
    if (token == null || token.isEmpty()) {
      return Optional.empty();
    }
    String digest = digest(token);
    String known = verified.get(digest);
    if (known != null && hashes.containsKey(known)) {
      return Optional.of(known);
    }
    for (Map.Entry<String, String> e : hashes.entrySet()) {
      if (SecretHash.matches(token, e.getValue())) {
        verified.put(digest, e.getKey());
        return Optional.of(e.getKey());
      }
    }
    return Optional.empty();
  }

  /** Whether {@code token} is {@code user}'s (basic auth: the user is named, one hash to check). */
  public boolean authenticate(String user, String token) {
    String hash = hashes.get(user);
    if (hash == null || token == null) {
      return false;
    }
    String digest = digest(token);
    if (user.equals(verified.get(digest))) {
      return true;
    }
    if (SecretHash.matches(token, hash)) {
      verified.put(digest, user);
      return true;
    }
    return false;
  }

  /** The user behind an {@code Authorization} header value ({@code Bearer TOKEN}), if any. */
  public Optional<String> authenticateHeader(String authorization) {
    String token = bearerToken(authorization);
    return token == null ? Optional.empty() : authenticate(token);
  }

  /** The token of a {@code Bearer TOKEN} header value (scheme case-insensitive), or null. */
  public static String bearerToken(String authorization) {
    if (authorization == null || authorization.length() < 7 || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = authorization.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  private static String digest(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
