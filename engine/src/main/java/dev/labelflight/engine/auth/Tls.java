package dev.labelflight.engine.auth;

import java.nio.file.Files;
import java.nio.file.Path;

/** A configured certificate chain and private key (PEM files; the key in PKCS#8), shared by Flight and HTTP. */
public record Tls(Path certFile, Path keyFile) {

  /** Null when neither file is set (no TLS); an error if only one is, or a file cannot be read. */
  public static Tls of(String certFile, String keyFile) {
    String cert = certFile == null ? "" : certFile;
    String key = keyFile == null ? "" : keyFile;
    if (cert.isEmpty() && key.isEmpty()) {
      return null;
    }
    if (cert.isEmpty() || key.isEmpty()) {
      throw new IllegalArgumentException("tls needs both certFile and keyFile (PEM), got certFile='" + cert
          + "', keyFile='" + key + "'");
    }
    for (String file : new String[] {cert, key}) {
      if (!Files.isReadable(Path.of(file))) {
        throw new IllegalArgumentException("tls file '" + file + "' is not readable");
      }
    }
    return new Tls(Path.of(cert), Path.of(key));
  }
}
