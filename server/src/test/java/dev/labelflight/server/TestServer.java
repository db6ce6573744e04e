package dev.labelflight.server;

import dev.labelflight.engine.auth.SecretHash;
import dev.labelflight.flight.auth.BearerToken;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A real server on loopback with ephemeral ports and its own data directory, whose event loops are
 * watched: any event-loop task running longer than 1 s is recorded in {@link #blockedEventLoops} (short
 * for an event loop, long enough not to flag scheduling delays on a loaded 2-core box).
 */
final class TestServer implements AutoCloseable {
  /** The user every test acts as unless it says otherwise, and that user's API token. */
  static final String USER = "alice";
  static final String TOKEN = "test-token-alice-0123456789";
  /** A second user, for isolation tests. */
  static final String OTHER_USER = "bob";
  static final String OTHER_TOKEN = "test-token-bob-9876543210";
  final LabelFlightServer server;
  final List<String> blockedEventLoops = new CopyOnWriteArrayList<>();
  final Path dataDir;

  TestServer(Path dataDir, int chunkRows) throws Exception {
    this(dataDir, chunkRows, new JsonObject());
  }

  TestServer(Path dataDir, int chunkRows, JsonObject overrides) throws Exception {
    this.dataDir = dataDir;
    JsonObject config = ServerConfig.load(Map.of())
        .put("dataDir", dataDir.toString());
    config.getJsonObject("flight").put("port", 0);
    config.getJsonObject("http").put("port", 0);
    config.getJsonObject("store").put("chunkRows", chunkRows);
    config.getJsonObject("demo").put("enabled", false);
    config.getJsonObject("memory").put("budgetMiB", 256);
    config.getJsonObject("workers").put("instances", 2);
    // No heap layer in the label cache unless a test asks: the budget is then entirely free between jobs.
    config.getJsonObject("cache").put("hotMiB", 0);
    // Authentication on, as deployed; few PBKDF2 iterations keep the first call of each test fast.
    config.getJsonObject("auth").put("enabled", true).put("users", new JsonObject()
        .put(USER, SecretHash.hash(TOKEN, 1_000))
        .put(OTHER_USER, SecretHash.hash(OTHER_TOKEN, 1_000)));
    config.mergeIn(overrides, true);
    VertxOptions options = new VertxOptions()
        .setBlockedThreadCheckInterval(50)
        .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
        .setMaxEventLoopExecuteTime(1000)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setMaxWorkerExecuteTime(10)
        .setMaxWorkerExecuteTimeUnit(TimeUnit.MINUTES);
    server = new LabelFlightServer(config, options);
    try {
      server.start().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      server.close();
      throw e;
    }
    ((VertxInternal) server.vertx()).blockedThreadChecker().setThreadBlockedHandler(event -> {
      if (event.thread().getName().contains("eventloop")) {
        blockedEventLoops.add(event.toString());
      }
    });
  }

  int flightPort() {
    return server.flightPort();
  }

  /** A Flight client of this server acting as {@link #USER}. */
  FlightClient client(BufferAllocator allocator) {
    return client(allocator, TOKEN);
  }

  /** A Flight client sending {@code token} as its bearer token (none if null). */
  FlightClient client(BufferAllocator allocator, String token) {
    Location location = server.tls()
        ? Location.forGrpcTls("127.0.0.1", flightPort()) : Location.forGrpcInsecure("127.0.0.1", flightPort());
    FlightClient.Builder builder = FlightClient.builder(allocator, location);
    if (token != null) {
      builder.intercept(new BearerToken(token));
    }
    return builder.build();
  }

  /** GET /health; returns the status code. */
  int health() throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    return response.statusCode();
  }

  @Override
  public void close() throws Exception {
    server.close();
  }
}
