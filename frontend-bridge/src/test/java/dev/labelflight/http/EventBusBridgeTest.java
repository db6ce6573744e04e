package dev.labelflight.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lfset.LfSetStore;
import dev.labelflight.engine.memory.LocalMemoryPool;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.testing.TestAllocators;
import dev.labelflight.verticles.browse.BrowseVerticle;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.node.NodeResources;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Verifies the HTTP face: the UI's static files and the SockJS bridge's permissions and size limit. */
@ExtendWith(VertxExtension.class)
class EventBusBridgeTest {
  private static final int MAX_BODY = 64 * 1024;

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private RootAllocator allocator;
  private HttpVerticle http;
  private WebSocketClient webSockets;
  private WebSocket socket;
  private final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx;
    allocator = TestAllocators.root();
    NodeResources node = NodeResources.standalone("test", dataDir, new DatasetStore(dataDir, 100),
        new LocalMemoryPool("test", 16L << 20), allocator, new LfLimits(10, 100, 100), 10_000);
    await(vertx.deployVerticle(new BrowseVerticle(node, new LfSetStore(dataDir), 5_000),
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
    http = new HttpVerticle(JsonObject::new);
    await(vertx.deployVerticle(http, new DeploymentOptions().setConfig(new JsonObject()
        .put("host", "127.0.0.1").put("port", 0).put("maxBodyBytes", MAX_BODY))));
    // Held in a field: an unreachable Vert.x client is closed by its cleaner, even mid-handshake.
    webSockets = vertx.createWebSocketClient();
    socket = await(webSockets.connect(http.port(), "127.0.0.1", "/eventbus/websocket"));
    socket.handler(buffer -> frames.add(buffer.toJsonObject()));
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
    allocator.close();
  }

  /** Verifies that the page and its modules are served from the jar at {@code /}. */
  @Test
  void servesTheUi() throws Exception {
    WebClient client = WebClient.create(vertx);
    HttpResponse<?> index = await(client.request(HttpMethod.GET, http.port(), "127.0.0.1", "/").send());
    assertEquals(200, index.statusCode());
    assertTrue(index.bodyAsString().contains("<title>LabelFlight</title>"));
    HttpResponse<?> app = await(client.request(HttpMethod.GET, http.port(), "127.0.0.1", "/js/app.js").send());
    assertEquals(200, app.statusCode());
    assertTrue(app.getHeader("content-type").contains("javascript"), app.getHeader("content-type"));
    assertEquals(404, await(client.request(HttpMethod.GET, http.port(), "127.0.0.1", "/nothing.js").send()).statusCode());
    // Only WebSocket transports: the unbounded HTTP fallbacks are not served.
    HttpResponse<?> xhr = await(client.request(HttpMethod.POST, http.port(), "127.0.0.1", "/eventbus/000/abcd/xhr").send());
    assertEquals(404, xhr.statusCode(), "xhr session opened: " + xhr.bodyAsString());
  }

  /** Verifies that a permitted request is answered through the bridge, including the service's own failures. */
  @Test
  void answersPermittedRequests() throws Exception {
    JsonObject reply = request(Addresses.DATASETS, new JsonObject());
    assertEquals("rec", reply.getString("type"));
    assertEquals(0, reply.getJsonObject("body").getJsonArray("datasets").size());
    JsonObject failure = request(Addresses.SAMPLE, new JsonObject().put("dataset", "nope"));
    assertEquals("err", failure.getString("type"));
    assertEquals(404, failure.getInteger("failureCode"));
    assertTrue(failure.getString("message").contains("dataset 'nope' not found"), failure.encode());
  }

  /** Verifies that a message to an address outside the policy is refused and never delivered; the socket keeps working. */
  @Test
  void refusesOtherAddresses() throws Exception {
    AtomicInteger delivered = new AtomicInteger();
    await(vertx.eventBus().consumer(Addresses.WORKER_READY, m -> delivered.incrementAndGet()).completion());
    JsonObject refused = request(Addresses.WORKER_READY, new JsonObject().put("worker", "intruder"));
    assertEquals("err", refused.getString("type"));
    assertEquals(403, refused.getInteger("failureCode"));
    assertTrue(refused.getString("message").contains("not open to browsers"), refused.encode());
    assertEquals("rejected", nextFrame().getString("body"));

    socket.writeTextMessage(new JsonObject().put("type", "register").put("address", Addresses.APPLY).encode());
    assertEquals("err", nextFrame().getString("type"));
    socket.writeTextMessage(new JsonObject().put("type", "publish").put("address", "labelflight.job.abc")
        .put("body", new JsonObject()).encode());
    assertEquals("rejected", nextFrame().getString("body"));

    assertEquals("rec", request(Addresses.DATASETS, new JsonObject()).getString("type"));
    assertEquals(0, delivered.get());
  }

  /** Verifies that a body over the limit is refused with 413 and the server keeps serving the same socket. */
  @Test
  void refusesOversizedMessages() throws Exception {
    JsonObject refused = request(Addresses.DATASETS, new JsonObject().put("pad", "x".repeat(MAX_BODY + 1)));
    assertEquals("err", refused.getString("type"));
    assertEquals(413, refused.getInteger("failureCode"));
    assertTrue(refused.getString("message").contains("larger than the bridge limit of " + MAX_BODY), refused.encode());
    assertEquals("rejected", nextFrame().getString("body"));
    assertEquals("rec", request(Addresses.DATASETS, new JsonObject()).getString("type"));
  }

  /** Verifies that listening on job progress is allowed and progress published there reaches the browser. */
  @Test
  void deliversJobProgress() throws Exception {
    String address = Addresses.job("0f0f-1234");
    socket.writeTextMessage(new JsonObject().put("type", "register").put("address", address).encode());
    // Registration is asynchronous: publish until the first event arrives.
    JsonObject frame = null;
    for (int i = 0; i < 50 && frame == null; i++) {
      vertx.eventBus().publish(address, new JsonObject().put("chunksDone", 1));
      frame = frames.poll(100, TimeUnit.MILLISECONDS);
    }
    assertNotNull(frame, "no progress event reached the socket");
    assertEquals(address, frame.getString("address"));
    assertEquals(1, frame.getJsonObject("body").getInteger("chunksDone"));
  }

  /** Sends a request frame and returns the frame answering its reply address. */
  private JsonObject request(String address, JsonObject body) throws Exception {
    String replyAddress = UUID.randomUUID().toString();
    socket.writeTextMessage(new JsonObject().put("type", "send").put("address", address).put("body", body)
        .put("replyAddress", replyAddress).encode());
    while (true) {
      JsonObject frame = nextFrame();
      if (replyAddress.equals(frame.getString("address"))) {
        return frame;
      }
    }
  }

  private JsonObject nextFrame() throws InterruptedException {
    JsonObject frame = frames.poll(10, TimeUnit.SECONDS);
    assertNotNull(frame, "no frame from the bridge in 10 s");
    return frame;
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
