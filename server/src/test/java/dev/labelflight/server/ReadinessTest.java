package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadinessTest {
  @TempDir Path dir;

  /** Verifies that /ready flips to 503 when the data directory becomes unwritable, and back. */
  @Test
  void readyFollowsDataDirectory() throws Exception {
    try (TestServer server = new TestServer(dir, 1000)) {
      assertEquals(200, get(server, "/ready").statusCode());
      JsonObject health = new JsonObject(get(server, "/health").body());
      assertEquals("UP", health.getString("status"));
      assertTrue(health.getJsonObject("sizing").getJsonObject("derivation").containsKey("budget"), "details for a user");

      Path data = Path.of(server.server.node().dataDir().toString());
      // Put a plain file where the data directory was: nothing can be written there, even by root
      // (CI runs as root, which ignores permission bits).
      Path moved = dir.resolveSibling(dir.getFileName() + "-moved");
      Files.move(data, moved);
      Files.writeString(data, "not a directory");
      try {
        HttpResponse<String> notReady = get(server, "/ready");
        assertEquals(503, notReady.statusCode());
        assertFalse(new JsonObject(notReady.body()).getJsonObject("checks").getBoolean("dataDirWritable"));
        assertEquals(200, get(server, "/health").statusCode(), "liveness stays up");
      } finally {
        Files.delete(data);
        Files.move(moved, data);
      }
      assertEquals(200, get(server, "/ready").statusCode());
    }
  }

  private static HttpResponse<String> get(TestServer server, String path) throws Exception {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.server.httpPort() + path))
            .header("Authorization", "Bearer " + TestServer.TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
