package dev.labelflight.engine.auth;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Bounds how often wrong credentials are checked, so that guessing tokens is slow and cheap for the node
 * (each wrong token costs one PBKDF2 per configured user). Each scope (the caller's address, the user a
 * basic-auth handshake names, the whole node) has a bucket of {@code limit} failures that refills at
 * {@code limit} per {@code windowMs}. A check that would hash takes one failure from every bucket of its
 * scopes first and is refused, without hashing, when one is empty; a check that succeeds gives them back.
 * So at most {@code limit} wrong tokens per window are hashed per address, per named user, and
 * {@code perNode} for the node as a whole, even when attempts arrive in parallel.
 *
 * <p>Tokens already verified never get here ({@link UserDirectory} remembers them), so a user whose
 * token works keeps working while an address next to theirs is refused. Buckets are kept for at most
 * {@link #MAX_KEYS} addresses and users (least recently used dropped: a dropped bucket is full again).
 */
public final class AuthThrottle {
  /** Buckets kept at most, per scope kind. */
  public static final int MAX_KEYS = 10_000;

  /**
   * Failures allowed per window: per address, per user named in a basic-auth handshake, per node; 0 turns
   * a scope off.
   */
  public record Limits(int perAddress, int perUser, int perNode, long windowMs) {
    public static final Limits DEFAULT = new Limits(20, 20, 200, 60_000);
    public static final Limits NONE = new Limits(0, 0, 0, 60_000);

    public Limits {
      if (perAddress < 0 || perUser < 0 || perNode < 0 || windowMs <= 0) {
        throw new IllegalArgumentException("auth.failures limits must be >= 0 and windowMs > 0: perAddress=" + perAddress
            + ", perUser=" + perUser + ", perNode=" + perNode + ", windowMs=" + windowMs);
      }
    }
  }

  /** Why a check was refused without hashing: the scope that ran out ("address 127.0.0.1", "user alice", "node") and when to retry. */
  public record Refusal(String scope, String key, int limit, long windowMs, long retryAfterMs) {
    /** The message a caller gets. */
    public String message() {
      return "too many failed authentications from " + scope + " (at most " + limit + " per " + windowMs / 1000
          + " s; auth.failures." + key + "); retry in " + Math.max(1, (retryAfterMs + 999) / 1000) + " s";
    }
  }

  private final Limits limits;
  private final LongSupplier clock;
  private final Map<String, Bucket> addresses = lru();
  private final Map<String, Bucket> users = lru();
  private final Bucket node;

  public AuthThrottle(Limits limits) {
    this(limits, System::currentTimeMillis);
  }

  AuthThrottle(Limits limits, LongSupplier clock) {
    this.limits = limits;
    this.clock = clock;
    this.node = new Bucket(limits.perNode(), clock.getAsLong());
  }

  public Limits limits() {
    return limits;
  }

  /**
   * Takes one failure from the buckets of {@code address} (null: unknown), {@code user} (null: none named)
   * and the node, or from none of them if one is empty; the refusal then names that one.
   */
  public synchronized Optional<Refusal> admit(String address, String user) {
    long now = clock.getAsLong();
    Bucket byAddress = limits.perAddress() > 0 ? bucket(addresses, address == null ? "unknown" : address, limits.perAddress(), now) : null;
    Bucket byUser = limits.perUser() > 0 && user != null ? bucket(users, user, limits.perUser(), now) : null;
    Bucket byNode = limits.perNode() > 0 ? node : null;
    if (byAddress != null && !byAddress.available(now, limits)) {
      return Optional.of(new Refusal("address " + (address == null ? "unknown" : address), "perAddress",
          limits.perAddress(), limits.windowMs(), byAddress.retryAfter(limits)));
    }
    if (byUser != null && !byUser.available(now, limits)) {
      return Optional.of(new Refusal("user " + user, "perUser", limits.perUser(), limits.windowMs(), byUser.retryAfter(limits)));
    }
    if (byNode != null && !byNode.available(now, limits)) {
      return Optional.of(new Refusal("all addresses", "perNode", limits.perNode(), limits.windowMs(), byNode.retryAfter(limits)));
    }
    for (Bucket b : new Bucket[] {byAddress, byUser, byNode}) {
      if (b != null) {
        b.tokens -= 1;
      }
    }
    return Optional.empty();
  }

  /** Gives back what {@link #admit} took: the credentials were right. */
  public synchronized void succeeded(String address, String user) {
    if (limits.perAddress() > 0) {
      refund(addresses.get(address == null ? "unknown" : address), limits.perAddress());
    }
    if (limits.perUser() > 0 && user != null) {
      refund(users.get(user), limits.perUser());
    }
    if (limits.perNode() > 0) {
      refund(node, limits.perNode());
    }
  }

  private static void refund(Bucket b, int limit) {
    if (b != null) {
      b.tokens = Math.min(limit, b.tokens + 1);
    }
  }

  private static Bucket bucket(Map<String, Bucket> map, String key, int limit, long now) {
    return map.computeIfAbsent(key, k -> new Bucket(limit, now));
  }

  private static Map<String, Bucket> lru() {
    return new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
        return size() > MAX_KEYS;
      }
    };
  }

  /** A token bucket: {@code tokens} failures left, refilled continuously at limit per window. */
  private static final class Bucket {
    private final int limit;
    private double tokens;
    private long updated;

    Bucket(int limit, long now) {
      this.limit = limit;
      this.tokens = limit;
      this.updated = now;
    }

    boolean available(long now, Limits limits) {
      tokens = Math.min(limit, tokens + (now - updated) * (double) limit / limits.windowMs());
      updated = now;
      return tokens >= 1;
    }

    long retryAfter(Limits limits) {
      return (long) Math.ceil((1 - tokens) * limits.windowMs() / limit);
    }
  }
}
