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
 * bounded map, never the token itself); a wrong token costs one PBKDF2 per user, so wrong tokens are
 * bounded per address, per named user and per node by an {@link AuthThrottle} before they are hashed.
 */
public final class UserDirectory {
  private static final int REMEMBERED = 4096;

  /** The outcome of checking credentials. */
  public sealed interface Outcome {
    /** The credentials are {@code user}'s. */
    record Authenticated(String user) implements Outcome {}

    /** Wrong, missing or malformed credentials. */
    record Invalid() implements Outcome {}

    /** Refused without checking: too many failures lately ({@link AuthThrottle.Refusal#message()} says which). */
    record Throttled(AuthThrottle.Refusal refusal) implements Outcome {}
  }

  private static final Outcome INVALID = new Outcome.Invalid();

  private final boolean enabled;
  private final AuthThrottle throttle;
  private final Map<String, java.util.Set<Permission>> permissions;
  private final java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong throttled = new java.util.concurrent.atomic.AtomicLong();
  private final Map<String, String> hashes;
  private final Map<String, String> verified = Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > REMEMBERED;
    }
  });

  /** {@code hashes}: user name to secret hash; checked now, so a bad entry stops the server at start. No throttle. */
  public UserDirectory(boolean enabled, Map<String, String> hashes) {
    this(enabled, hashes, AuthThrottle.Limits.NONE);
  }

  /** As above, with wrong credentials bounded by {@code failures}. */
  public UserDirectory(boolean enabled, Map<String, String> hashes, AuthThrottle.Limits failures) {
    this(enabled, hashes, Map.of(), failures);
  }

  /** As above, with the {@link Permission}s granted to some users (absent: none). */
  public UserDirectory(boolean enabled, Map<String, String> hashes, Map<String, java.util.Set<Permission>> permissions,
      AuthThrottle.Limits failures) {
    this.enabled = enabled;
    permissions.keySet().forEach(user -> {
      if (!hashes.containsKey(user)) {
        throw new IllegalArgumentException("permissions granted to '" + user + "', who is not a configured user");
      }
    });
    Map<String, java.util.Set<Permission>> granted = new LinkedHashMap<>();
    permissions.forEach((user, set) -> granted.put(user, java.util.Set.copyOf(set)));
    this.permissions = Map.copyOf(granted);
    this.throttle = new AuthThrottle(failures);
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

  /**
   * Whether {@code user} was granted {@code permission} in the configuration. Without authentication
   * nobody is: whatever runs a user's own code stays off.
   */
  public boolean permits(String user, Permission permission) {
    return enabled && user != null && permissions.getOrDefault(user, java.util.Set.of()).contains(permission);
  }

  /** The user whose token this is, if any (unthrottled: for tools and tests; servers use {@link #check(String, String)}). */
  public Optional<String> authenticate(String token) {
    return check(token, null) instanceof Outcome.Authenticated a ? Optional.of(a.user()) : Optional.empty();
  }

  /**
   * Whose token this is, from a caller at {@code address} (null: unknown). A token verified before costs a
   * hash and a map lookup; any other is hashed against every user only if the throttle admits it.
   */
  public Outcome check(String token, String address) {
    if (token == null || token.isEmpty()) {
      return INVALID;
    }
    String digest = digest(token);
    String known = verified.get(digest);
    if (known != null && hashes.containsKey(known)) {
      return new Outcome.Authenticated(known);
    }
    Optional<AuthThrottle.Refusal> refused = throttle.admit(address, null);
    if (refused.isPresent()) {
      throttled.incrementAndGet();
      return new Outcome.Throttled(refused.get());
    }
    for (Map.Entry<String, String> e : hashes.entrySet()) {
      if (SecretHash.matches(token, e.getValue())) {
        throttle.succeeded(address, null);
        verified.put(digest, e.getKey());
        return new Outcome.Authenticated(e.getKey());
      }
    }
    failures.incrementAndGet();
    return INVALID;
  }

  /** Whether {@code token} is {@code user}'s (unthrottled; servers use {@link #check(String, String, String)}). */
  public boolean authenticate(String user, String token) {
    return check(user, token, null) instanceof Outcome.Authenticated;
  }

  /** Basic auth: whether {@code token} is {@code user}'s (one hash to check), throttled per address and per user. */
  public Outcome check(String user, String token, String address) {
    if (user == null || token == null) {
      return INVALID;
    }
    String digest = digest(token);
    if (user.equals(verified.get(digest)) && hashes.containsKey(user)) {
      return new Outcome.Authenticated(user);
    }
    Optional<AuthThrottle.Refusal> refused = throttle.admit(address, user);
    if (refused.isPresent()) {
      throttled.incrementAndGet();
      return new Outcome.Throttled(refused.get());
    }
    String hash = hashes.get(user);
    if (hash != null && SecretHash.matches(token, hash)) {
      throttle.succeeded(address, user);
      verified.put(digest, user);
      return new Outcome.Authenticated(user);
    }
    failures.incrementAndGet();
    return INVALID;
  }

  /** The user behind an {@code Authorization} header value ({@code Bearer TOKEN}), if any (unthrottled). */
  public Optional<String> authenticateHeader(String authorization) {
    String token = bearerToken(authorization);
    return token == null ? Optional.empty() : authenticate(token);
  }

  /** {@link #check(String, String)} of an {@code Authorization} header value ({@code Bearer TOKEN}). */
  public Outcome checkHeader(String authorization, String address) {
    String token = bearerToken(authorization);
    return token == null ? INVALID : check(token, address);
  }

  /** Wrong credentials checked so far (each hashed against the users). */
  public long failures() {
    return failures.get();
  }

  /** Credentials refused unchecked so far, by the throttle. */
  public long throttled() {
    return throttled.get();
  }

  public AuthThrottle.Limits failureLimits() {
    return throttle.limits();
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
