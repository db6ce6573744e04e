package dev.labelflight.server.auth;

import dev.labelflight.engine.auth.SecretHash;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The dev user's token kept across restarts ({@code auth.devUser.keepToken}, which {@code bin/serve} turns
 * on): the raw token in {@code DATA/dev-user.token}, readable by the server's OS user only (0600). Raw, not
 * hashed, because the server prints it at every start; it grants the dev user only, whose data sits in the
 * same directory. Delete the file for a new token.
 */
final class DevToken {
  static final String FILE = "dev-user.token";
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private DevToken() {}

  /** The kept token, made (random, written atomically with mode 0600) if there is none yet. */
  static String keptIn(Path dataDir) {
    Path file = dataDir.resolve(FILE);
    try {
      if (Files.exists(file)) {
        if (Files.getFileStore(file).supportsFileAttributeView("posix")
            && !OWNER_ONLY.containsAll(Files.getPosixFilePermissions(file))) {
          throw new IllegalArgumentException(file + " is readable by other users: chmod 600 it (or delete it for a new"
              + " token)");
        }
        String token = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (!token.isEmpty()) {
          return token;
        }
      }
      Files.createDirectories(dataDir);
      String token = SecretHash.randomToken();
      Path temp = Files.createTempFile(dataDir, FILE, ".tmp");
      try {
        if (temp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
          Files.setPosixFilePermissions(temp, OWNER_ONLY);
        }
        Files.writeString(temp, token + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.SYNC);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException e) {
        Files.deleteIfExists(temp);
        return keptIn(dataDir);
      } finally {
        Files.deleteIfExists(temp);
      }
      return token;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the dev user's token in " + file, e);
    }
  }
}
