package dev.labelflight.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret every node of a cluster holds, and the only thing that makes a process one of them. It is
 * never stored or sent: each use gets its own value derived from it (HMAC-SHA256 of the secret and a
 * purpose label), so that what one use reveals (a Hazelcast cluster name in a join request, a header on a
 * node-to-node call) says nothing about the secret or about the others. A clustered node reads it from
 * {@code cluster.secretFile} (a mounted Kubernetes Secret) or {@code cluster.secret}
 * ({@code LABELFLIGHT_CLUSTER_SECRET}); a standalone node makes a random one at start, so its Hazelcast
 * cluster name is known to no one.
 */
public final class ClusterSecret {
  /** Shortest secret accepted; {@code openssl rand -base64 32} gives 44 characters. */
  public static final int MIN_LENGTH = 16;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private final byte[] key;

  private ClusterSecret(byte[] key) {
    this.key = key;
  }

  /** A secret given in configuration; at least {@link #MIN_LENGTH} characters. */
  public static ClusterSecret of(String secret) {
    if (secret == null || secret.strip().length() < MIN_LENGTH) {
      throw new IllegalArgumentException("the cluster secret must have at least " + MIN_LENGTH
          + " characters (e.g. the output of 'openssl rand -base64 32')");
    }
    return new ClusterSecret(secret.strip().getBytes(StandardCharsets.UTF_8));
  }

  /** A random secret for a node that shares it with nobody (standalone). */
  public static ClusterSecret random() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return new ClusterSecret(bytes);
  }

  /**
   * The configured secret: the content of {@code file} when set (surrounding whitespace dropped), else
   * {@code value}; empty when neither is set.
   */
  public static Optional<ClusterSecret> configured(String value, String file) {
    if (file != null && !file.isBlank()) {
      try {
        return Optional.of(of(Files.readString(Path.of(file), StandardCharsets.UTF_8)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read cluster.secretFile " + file, e);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("cluster.secretFile " + file + ": " + e.getMessage(), e);
      }
    }
    return value == null || value.isEmpty() ? Optional.empty() : Optional.of(of(value));
  }

  /** The Hazelcast cluster name of the cluster called {@code name}: members join only a cluster of the same name. */
  public String clusterName(String name) {
    return "labelflight-" + derive("hazelcast cluster name/" + name);
  }

  /** What a node presents to another node's Flight endpoint ({@code x-labelflight-node}). */
  public String nodeCredential() {
    return derive("flight node credential");
  }

  /** What every event-bus message between nodes carries ({@link EventBusCredential}). */
  public String busCredential() {
    return derive("event bus credential");
  }

  /** HMAC-SHA256 of the secret and {@code purpose}, base64url: a value of its own for each use. */
  String derive(String purpose) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return B64.encodeToString(mac.doFinal(("labelflight/" + purpose).getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /** Never the secret. */
  @Override
  public String toString() {
    return "ClusterSecret[hidden]";
  }
}
