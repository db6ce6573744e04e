package dev.labelflight.engine.auth;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Salted PBKDF2 hashes of user secrets, as written in {@code conf/}:
 * {@code pbkdf2-sha256$ITERATIONS$SALT$HASH} with SALT (16 bytes) and HASH (32 bytes) in unpadded
 * base64url. Only hashes are configured, so a leaked configuration gives no usable token.
 */
public final class SecretHash {
  public static final String SCHEME = "pbkdf2-sha256";
  public static final int DEFAULT_ITERATIONS = 100_000;
  private static final int SALT_BYTES = 16;
  private static final int HASH_BITS = 256;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64_DECODE = Base64.getUrlDecoder();
  /** PBKDF2 evaluations so far in this process (metrics, and tests that count what wrong tokens cost). */
  private static final java.util.concurrent.atomic.AtomicLong EVALUATIONS = new java.util.concurrent.atomic.AtomicLong();

  private SecretHash() {}

  /** A new hash of {@code secret} with a random salt. */
  public static String hash(String secret, int iterations) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    return SCHEME + "$" + iterations + "$" + B64.encodeToString(salt) + "$"
        + B64.encodeToString(pbkdf2(secret, salt, iterations));
  }

  /** Whether {@code secret} matches {@code encoded} (compared in constant time). */
  public static boolean matches(String secret, String encoded) {
    String[] parts = parse(encoded);
    byte[] expected = B64_DECODE.decode(parts[3]);
    byte[] actual = pbkdf2(secret, B64_DECODE.decode(parts[2]), Integer.parseInt(parts[1]));
    return MessageDigest.isEqual(expected, actual);
  }

  /** Throws IllegalArgumentException naming the problem if {@code encoded} is not a hash of this format. */
  public static void validate(String encoded) {
    parse(encoded);
  }

  /** A random token of 32 bytes, base64url: what {@link HashToken} hands out. */
  public static String randomToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return B64.encodeToString(bytes);
  }

  private static String[] parse(String encoded) {
    String[] parts = encoded == null ? new String[0] : encoded.split("\\$", -1);
    try {
      if (parts.length == 4 && parts[0].equals(SCHEME) && Integer.parseInt(parts[1]) >= 1
          && B64_DECODE.decode(parts[2]).length >= 8 && B64_DECODE.decode(parts[3]).length == HASH_BITS / 8) {
        return parts;
      }
    } catch (IllegalArgumentException e) {
      // Reported below with the expected format.
    }
    throw new IllegalArgumentException("secret hash must be " + SCHEME + "$ITERATIONS$SALT$HASH (base64url); "
        + "make one with bin/hash-token");
  }

  /** How many PBKDF2 hashes this process has computed (each costs {@code ITERATIONS} HMACs). */
  public static long evaluations() {
    return EVALUATIONS.get();
  }

  private static byte[] pbkdf2(String secret, byte[] salt, int iterations) {
    EVALUATIONS.incrementAndGet();
    try {
      PBEKeySpec spec = new PBEKeySpec(secret.toCharArray(), salt, iterations, HASH_BITS);
      try {
        return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
      } finally {
        spec.clearPassword();
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
    }
  }
}
