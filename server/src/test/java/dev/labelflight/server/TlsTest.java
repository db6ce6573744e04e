package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.flight.auth.BearerToken;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flight and HTTP over TLS with a configured certificate. */
class TlsTest {
  private static final String PASSWORD = "changeit";

  @TempDir Path dir;

  /**
   * Verifies that with {@code tls.certFile}/{@code tls.keyFile} set (a self-signed certificate made here with
   * keytool), a Flight client trusting that certificate uploads and reads back over {@code grpc+tls}, HTTPS
   * serves {@code /health} and the token-protected {@code /metrics}, and a plaintext Flight client gets no
   * answer.
   */
  @Test
  void flightAndHttpOverTls() throws Exception {
    Path keystore = selfSigned(dir.resolve("tls"));
    Path cert = dir.resolve("tls/cert.pem");
    Path key = dir.resolve("tls/key.pem");
    exportPem(keystore, cert, key);
    JsonObject overrides = new JsonObject().put("tls", new JsonObject().put("certFile", cert.toString())
        .put("keyFile", key.toString()));
    try (TestServer server = new TestServer(dir.resolve("data"), 1000, overrides);
         RootAllocator allocator = new RootAllocator()) {
      try (InputStream trusted = Files.newInputStream(cert);
           FlightClient client = FlightClient.builder(allocator, Location.forGrpcTls("127.0.0.1", server.flightPort()))
               .trustedCertificates(trusted).intercept(new BearerToken(TestServer.TOKEN)).build()) {
        assertEquals(1500, FlightClients.uploadReviews(client, allocator, "secure", 3, 1500).getInteger("rows"));
        var info = client.getInfo(FlightDescriptor.path("datasets", "secure"));
        assertEquals(1500, info.getRecords());
        assertEquals("grpc+tls", info.getEndpoints().get(0).getLocations().get(0).getUri().getScheme());
      }
      try (FlightClient plain = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.flightPort()))
          .intercept(new BearerToken(TestServer.TOKEN)).build()) {
        FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
            () -> plain.getInfo(FlightDescriptor.path("datasets", "secure"), org.apache.arrow.flight.CallOptions.timeout(3, TimeUnit.SECONDS)));
        assertTrue(List.of(FlightStatusCode.UNAVAILABLE, FlightStatusCode.INTERNAL, FlightStatusCode.TIMED_OUT)
            .contains(e.status().code()), e.toString());
      }
      KeyStore trust = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(keystore)) {
        trust.load(in, PASSWORD.toCharArray());
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      HttpClient https = HttpClient.newBuilder().sslContext(ssl).build();
      String base = "https://localhost:" + server.server.httpPort();
      assertEquals(200, https.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
      HttpResponse<String> metrics = https.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
          .header("Authorization", "Bearer " + TestServer.TOKEN).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.body().contains("labelflight_"), "metrics over HTTPS");
    }
  }

  /** Makes a self-signed RSA certificate for localhost / 127.0.0.1 with the JDK's keytool; returns the PKCS12 store. */
  private static Path selfSigned(Path dir) throws Exception {
    Files.createDirectories(dir);
    Path store = dir.resolve("server.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "labelflight", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-keystore", store.toString(),
        "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD)
        .redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, "keytool failed: " + output);
    return store;
  }

  /** Writes the store's certificate and its private key (PKCS#8) as PEM, the files the server is given. */
  private static void exportPem(Path store, Path cert, Path key) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, PASSWORD.toCharArray());
    }
    Files.writeString(cert, pem("CERTIFICATE", ks.getCertificate("labelflight").getEncoded()));
    Files.writeString(key, pem("PRIVATE KEY", ks.getKey("labelflight", PASSWORD.toCharArray()).getEncoded()));
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der) + "\n-----END " + type + "-----\n";
  }
}
