package dev.labelflight.server;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A test client of the event-bus bridge as the browser uses it: the SockJS raw WebSocket transport with
 * the bridge's JSON frames, a bearer token (or none) in every frame's headers.
 */
final class BridgeClient implements AutoCloseable {
  private final WebSocket socket;
  private final String token;
  private final Map<String, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
  private final StringBuilder partial = new StringBuilder();
  /** Frames that answer no request: bridge errors such as a refused register. */
  final java.util.concurrent.BlockingQueue<JsonObject> unaddressed = new java.util.concurrent.LinkedBlockingQueue<>();

  BridgeClient(int httpPort, String token) throws Exception {
    this.token = token;
    this.socket = HttpClient.newHttpClient().newWebSocketBuilder()
        .buildAsync(URI.create("ws://127.0.0.1:" + httpPort + "/eventbus/websocket"), new WebSocket.Listener() {
          @Override
          public CompletionStage<?> onBinary(WebSocket ws, java.nio.ByteBuffer data, boolean last) {
            // The raw transport sends its frames as binary messages of UTF-8 text.
            return onText(ws, java.nio.charset.StandardCharsets.UTF_8.decode(data), last);
          }

          @Override
          public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
              JsonObject frame = new JsonObject(partial.toString());
              partial.setLength(0);
              CompletableFuture<JsonObject> waiting = pending.remove(String.valueOf(frame.getString("address")));
              if (waiting != null) {
                waiting.complete(frame);
              } else {
                unaddressed.add(frame);
              }
            }
            ws.request(1);
            return null;
          }
        }).get(10, TimeUnit.SECONDS);
  }

  /** Sends a request; returns the reply frame: {@code type} "rec" with {@code body}, or "err" with {@code failureCode} and {@code message}. */
  JsonObject request(String address, JsonObject body) throws Exception {
    String replyAddress = UUID.randomUUID().toString();
    CompletableFuture<JsonObject> reply = new CompletableFuture<>();
    pending.put(replyAddress, reply);
    JsonObject frame = new JsonObject().put("type", "send").put("address", address).put("body", body)
        .put("replyAddress", replyAddress);
    if (token != null) {
      frame.put("headers", new JsonObject().put("authorization", "Bearer " + token));
    }
    socket.sendText(frame.encode(), true).get(10, TimeUnit.SECONDS);
    return reply.get(30, TimeUnit.SECONDS);
  }

  /** Asks to receive what is published on {@code address} (the bridge answers a refusal with an error frame). */
  void register(String address) throws Exception {
    JsonObject frame = new JsonObject().put("type", "register").put("address", address);
    if (token != null) {
      frame.put("headers", new JsonObject().put("authorization", "Bearer " + token));
    }
    socket.sendText(frame.encode(), true).get(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    socket.abort();
  }
}
