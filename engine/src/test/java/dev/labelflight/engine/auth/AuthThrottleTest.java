package dev.labelflight.engine.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AuthThrottleTest {
  private final AtomicLong now = new AtomicLong(1_000_000);

  /**
   * Verifies that each scope admits its limit of failures per window, refills at that rate, gives back
   * what a success took, and names the scope that ran out.
   */
  @Test
  void bucketsPerAddressUserAndNode() {
    AuthThrottle throttle = new AuthThrottle(new AuthThrottle.Limits(3, 2, 5, 60_000), now::get);
    for (int i = 0; i < 3; i++) {
      assertTrue(throttle.admit("10.0.0.1", null).isEmpty());
    }
    AuthThrottle.Refusal refusal = throttle.admit("10.0.0.1", null).orElseThrow();
    assertEquals("perAddress", refusal.key());
    assertTrue(refusal.message().contains("address 10.0.0.1") && refusal.message().contains("retry in 20 s"), refusal.message());
    // A success gives its failure back.
    now.addAndGet(20_000);
    assertTrue(throttle.admit("10.0.0.1", null).isEmpty());
    throttle.succeeded("10.0.0.1", null);
    assertTrue(throttle.admit("10.0.0.1", null).isEmpty());
    assertEquals("perAddress", throttle.admit("10.0.0.1", null).orElseThrow().key());


    // A user named in a handshake has a bucket of its own, from any address; the node one across all.
    AuthThrottle fresh = new AuthThrottle(new AuthThrottle.Limits(3, 2, 3, 60_000), now::get);
    assertTrue(fresh.admit("10.0.0.2", "bob").isEmpty());
    assertTrue(fresh.admit("10.0.0.3", "bob").isEmpty());
    assertEquals("perUser", fresh.admit("10.0.0.4", "bob").orElseThrow().key());
    assertTrue(fresh.admit("10.0.0.5", "carol").isEmpty());
    assertEquals("perNode", fresh.admit("10.0.0.6", "dave").orElseThrow().key(), "3 failures on the node");
    now.addAndGet(60_000);
    assertTrue(fresh.admit("10.0.0.4", "bob").isEmpty(), "a window later");
  }

  /**
   * Verifies that a directory hashes wrong tokens only while the throttle admits them, that a token it
   * verified before passes from a refused address without hashing, and that basic auth counts per user.
   */
  @Test
  void directoryHashesOnlyWhatTheThrottleAdmits() {
    UserDirectory users = new UserDirectory(true, Map.of("alice", SecretHash.hash("a-token", 10),
        "bob", SecretHash.hash("b-token", 10)), new AuthThrottle.Limits(2, 2, 100, 60_000));
    assertInstanceOf(UserDirectory.Outcome.Authenticated.class, users.check("a-token", "10.0.0.1"));
    long before = SecretHash.evaluations();
    assertInstanceOf(UserDirectory.Outcome.Invalid.class, users.check("x1", "10.0.0.1"));
    assertInstanceOf(UserDirectory.Outcome.Invalid.class, users.check("x2", "10.0.0.1"));
    for (int i = 0; i < 10; i++) {
      assertInstanceOf(UserDirectory.Outcome.Throttled.class, users.check("y" + i, "10.0.0.1"));
    }
    assertEquals(4, SecretHash.evaluations() - before, "2 wrong tokens x 2 users");
    assertInstanceOf(UserDirectory.Outcome.Authenticated.class, users.check("a-token", "10.0.0.1"), "known token");
    assertEquals(4, SecretHash.evaluations() - before);
    assertInstanceOf(UserDirectory.Outcome.Throttled.class, users.check("b-token", "10.0.0.1"), "new token, refused address");
    assertInstanceOf(UserDirectory.Outcome.Authenticated.class, users.check("b-token", "10.0.0.2"));

    assertInstanceOf(UserDirectory.Outcome.Invalid.class, users.check("bob", "w1", "10.0.0.3"));
    assertInstanceOf(UserDirectory.Outcome.Invalid.class, users.check("bob", "w2", "10.0.0.4"));
    UserDirectory.Outcome third = users.check("bob", "w3", "10.0.0.5");
    assertInstanceOf(UserDirectory.Outcome.Throttled.class, third);
    assertEquals("perUser", ((UserDirectory.Outcome.Throttled) third).refusal().key());
    assertInstanceOf(UserDirectory.Outcome.Authenticated.class, users.check("bob", "b-token", "10.0.0.5"),
        "a token verified before passes the user's empty bucket");
    assertEquals(2, users.failures() - 2);
    assertTrue(users.throttled() >= 12);
  }
}
