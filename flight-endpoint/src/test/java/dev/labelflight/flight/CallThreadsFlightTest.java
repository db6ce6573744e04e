package dev.labelflight.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Flight call threads: an upload waits for its client's messages on a call thread, and gRPC delivers
 * those messages on the server's executor too. Found by the 3-node fault run: 16 uploads held all 16 call
 * threads in {@code FlightStream.getDescriptor()} while the callbacks that would have handed them their first
 * message waited behind them in the same bounded pool; the node answered no Flight call again.
 */
class CallThreadsFlightTest {
  @TempDir Path dir;

  /**
   * Verifies that more concurrent uploads than {@code flight.threads} all complete: waiting uploads never
   * keep the server from reading the messages they wait for.
   */
  @Test
  void uploadsBeyondTheThreadCountComplete() throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(6);
    try (FlightNode node = new FlightNode(dir, 1_000, new JsonObject().put("threads", 2).put("queue", 64));
         RootAllocator allocator = new RootAllocator()) {
      List<Future<JsonObject>> uploads = new ArrayList<>();
      List<FlightClient> open = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        FlightClient client = node.client(allocator, FlightNode.ALICE_TOKEN);
        open.add(client);
        String name = "concurrent" + i;
        long seed = i;
        uploads.add(clients.submit(() -> FlightNode.uploadReviews(client, allocator, name, seed, 500, 500, 500)));
      }
      for (Future<JsonObject> upload : uploads) {
        assertEquals(1_500, upload.get(60, TimeUnit.SECONDS).getLong("rows"));
      }
      for (FlightClient client : open) {
        client.close();
      }
    } finally {
      clients.shutdownNow();
    }
  }
}
