package dev.labelflight.engine.auth;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Command line: makes a user's API token and the hash to put in {@code conf/labelflight.json}
 * ({@code auth.users.NAME}). {@code HashToken USER} prints a new random token and its hash;
 * {@code HashToken USER -} reads an existing token from standard input and prints only its hash.
 */
public final class HashToken {
  private HashToken() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2 || (args.length == 2 && !args[1].equals("-"))) {
      System.err.println("usage: bin/hash-token USER       (new random token + hash)\n"
          + "       bin/hash-token USER -     (hash of the token read from stdin)");
      System.exit(2);
    }
    String user = dev.labelflight.engine.store.DatasetNames.validateOwner(args[0]);
    String token;
    if (args.length == 2) {
      token = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      if (token == null || token.isBlank()) {
        System.err.println("no token on standard input");
        System.exit(2);
      }
      token = token.strip();
    } else {
      token = SecretHash.randomToken();
      System.out.println("token: " + token);
    }
    String hash = SecretHash.hash(token, SecretHash.DEFAULT_ITERATIONS);
    System.out.println("hash:  " + hash);
    System.out.println("conf:  \"auth\": {\"users\": {\"" + user + "\": \"" + hash + "\"}}");
  }
}
