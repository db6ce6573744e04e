package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /metrics} in Prometheus text format after real jobs. */
class MetricsTest {
  static final int ROWS = 4_000;

  @TempDir Path dir;

  /**
   * Verifies that after an upload, a queued job, its label stream and the same job again (all from the
   * cache), {@code /metrics} carries Vert.x's own metrics and each LabelFlight family with values that
   * match what happened.
   */
  @Test
  void metricsAfterJobs() throws Exception {
    try (TestServer server = new TestServer(dir.resolve("data"), 1_000);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "reviews", 3, ROWS);
      String body = "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],\"mode\":\"queue\",\"user\":\"ada\",\"lfs\":"
          + HybridExecutionTest.LFS + "}";
      String first = FlightClients.action(client, "apply", body).getString("job");
      FlightClients.labels(client, first, 3, ROWS);
      assertEquals("SUCCEEDED", FlightClients.awaitEnd(client, first, 60_000).getString("state"));
      String second = FlightClients.action(client, "apply", body).getString("job");
      JsonObject end = FlightClients.awaitEnd(client, second, 60_000);
      assertEquals(0, end.getLong("lfChunkEvaluations"), "the second job reads everything from the cache");

      HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + server.server.httpPort() + "/metrics"))
              .header("Authorization", "Bearer " + TestServer.TOKEN).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode());
      assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
      String text = response.body();

      // Vert.x's own Micrometer metrics.
      assertTrue(text.contains("vertx_eventbus_"), "Vert.x event-bus metrics");
      assertTrue(text.contains("vertx_http_server_"), "Vert.x HTTP server metrics");
      assertTrue(!text.contains(first), "no series per job");
      // Ours.
      assertEquals(2, value(text, "labelflight_jobs{path=\"queue\",state=\"SUCCEEDED\"}"));
      assertEquals(8, value(text, "labelflight_chunk_latency_seconds_count"), "one observation per chunk task of both jobs");
      assertTrue(text.contains("labelflight_chunk_latency_seconds_bucket{le="), "a histogram");
      // Totals only: no label names a user.
      assertEquals(0, value(text, "labelflight_queue_depth"));
      assertEquals(0, value(text, "labelflight_queue_users"));
      assertTrue(!text.contains("user=\""), "no series per user");
      double total = value(text, "labelflight_memory_permits_bytes{kind=\"total\",node=");
      assertEquals(256.0 * (1 << 20), total);
      assertEquals(total, value(text, "labelflight_memory_permits_bytes{kind=\"free\",node="), "all permits back");
      assertEquals(0, value(text, "labelflight_resident_datasets"));
      assertEquals(0, value(text, "labelflight_resident_bytes"));
      assertEquals(1, value(text, "labelflight_flight_calls_total{method=\"do_put\"}"));
      assertEquals(1, value(text, "labelflight_flight_calls_total{method=\"do_get\"}"));
      assertTrue(value(text, "labelflight_flight_calls_total{method=\"do_action\"}") >= 4);
      assertTrue(value(text, "labelflight_flight_bytes_total{direction=\"in\"}") > ROWS * 10, "the uploaded text");
      assertTrue(value(text, "labelflight_flight_bytes_total{direction=\"out\"}") >= ROWS * 3, "the label columns");
      assertEquals(12, value(text, "labelflight_label_cache_misses_total"), "3 LFs x 4 chunks computed once");
      assertEquals(24, value(text, "labelflight_label_cache_hits_total"), "read back by the label stream, then by the second job");
      assertTrue(server.blockedEventLoops.isEmpty(), server.blockedEventLoops.toString());
    }
  }

  /** The value of the first sample whose line starts with {@code prefix}. */
  private static double value(String text, String prefix) {
    Matcher m = Pattern.compile("^" + Pattern.quote(prefix) + "[^ ]* ([^ ]+)$", Pattern.MULTILINE).matcher(text);
    assertTrue(m.find(), "no sample " + prefix + " in\n" + text);
    return Double.parseDouble(m.group(1));
  }
}
