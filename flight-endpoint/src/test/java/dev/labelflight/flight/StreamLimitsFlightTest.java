package dev.labelflight.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DoGet streams that their clients open and never read (#16.6): they hold no thread, so other users'
 * streams go on; a user has at most {@code flight.maxStreamsPerUser} open; a stream that makes no
 * progress for {@code flight.streamStallMs} is cancelled and its memory freed.
 */
class StreamLimitsFlightTest {
  static final int CAP = 4;
  static final long STALL_MS = 8_000;
  static final int BIG_ROWS = 2_000_000;
  @TempDir Path dir;

  /** Uploads {@code rows} int64 values as dataset {@code name}, in one batch (8 bytes a row). */
  static void uploadInts(FlightClient client, BufferAllocator allocator, String name, int rows) throws Exception {
    Schema schema = new Schema(List.of(new Field("v", FieldType.nullable(new ArrowType.Int(64, true)), null)));
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
         SyncPutListener ack = new SyncPutListener()) {
      BigIntVector v = (BigIntVector) root.getVector(0);
      v.allocateNew(rows);
      for (int i = 0; i < rows; i++) {
        v.set(i, i);
      }
      root.setRowCount(rows);
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("datasets", name), root, ack);
      put.putNext();
      put.completed();
      put.getResult();
    }
  }

  /**
   * Verifies that while one user holds as many streams as the stream pool has threads open without
   * reading them, another user's apply and label stream complete; that the first user's next stream is
   * refused with RESOURCE_EXHAUSTED naming flight.maxStreamsPerUser; and that after flight.streamStallMs
   * the unread streams are cancelled, the node's Arrow memory is back to where it was, and the user may
   * open streams again.
   */
  @Test
  void unreadStreamsBlockNobodyAndAreCancelledWhenStalled() throws Exception {
    JsonObject flight = new JsonObject().put("streamThreads", CAP).put("maxStreamsPerUser", CAP)
        .put("streamStallMs", STALL_MS).put("backpressureThreshold", 1 << 20);
    try (FlightNode node = new FlightNode(dir, 131_072, flight);
         RootAllocator allocator = new RootAllocator();
         FlightClient alice = node.client(allocator, FlightNode.ALICE_TOKEN);
         FlightClient bob = node.client(allocator, FlightNode.BOB_TOKEN)) {
      uploadInts(bob, allocator, "big", BIG_ROWS);
      FlightNode.uploadReviews(alice, allocator, "small", 1, 2_000);
      long baseline = node.allocated();

      List<FlightStream> unread = new ArrayList<>();
      try {
        for (int i = 0; i < CAP; i++) {
          FlightStream stream = bob.getStream(ResultsFlightTest.ticket("dataset/big@1"));
          assertTrue(stream.next(), "the first batch of stream " + i);
          unread.add(stream);
        }
        // Another user's small job and its label stream go through meanwhile.
        CompletableFuture<Long> labels = CompletableFuture.supplyAsync(() -> {
          String job = FlightNode.action(alice, "apply", "{\"dataset\":\"small\",\"mode\":\"queue\",\"labels\":[\"NEG\",\"POS\"],\"lfs\":["
              + "{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"great\"],\"label\":\"POS\"}]}")
              .getString("job");
          long rows = 0;
          try (FlightStream stream = alice.getStream(ResultsFlightTest.ticket("labels/" + job))) {
            while (stream.next()) {
              rows += stream.getRoot().getRowCount();
            }
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
          return rows;
        });
        try {
          assertEquals(2_000L, labels.get(STALL_MS * 3 / 4, TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
          throw new AssertionError("another user's label stream did not complete within " + STALL_MS * 3 / 4
              + " ms while " + CAP + " streams were left unread", e);
        }
        FlightRuntimeException refused = assertThrows(FlightRuntimeException.class, () -> {
          try (FlightStream extra = bob.getStream(ResultsFlightTest.ticket("dataset/big@1"))) {
            extra.next();
          }
        });
        assertEquals(FlightStatusCode.RESOURCE_EXHAUSTED, refused.status().code(), refused.getMessage());
        assertTrue(refused.getMessage().contains("flight.maxStreamsPerUser"), refused.getMessage());
        assertEquals(CAP, ErrorDetailsFlightTest.details(refused).getInteger("limit"));

        // No progress for streamStallMs: the server cancels them and frees their memory.
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STALL_MS * 4);
        while (node.allocated() > baseline && System.nanoTime() < deadline) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        assertEquals(baseline, node.allocated(), () -> "Arrow memory of the stalled streams: " + node.holders());
        FlightRuntimeException stalled = assertThrows(FlightRuntimeException.class, () -> {
          FlightStream first = unread.get(0);
          while (first.next()) {
            // what the server had sent before it gave up
          }
        });
        assertTrue(stalled.getMessage().contains("flight.streamStallMs"), stalled.getMessage());
      } finally {
        for (FlightStream stream : unread) {
          try {
            stream.close();
          } catch (Exception ignored) {
            // cancelled by the server
          }
        }
      }
      // The slots are free again.
      long rows = 0;
      try (FlightStream again = bob.getStream(ResultsFlightTest.ticket("dataset/big@1"))) {
        while (again.next()) {
          rows += again.getRoot().getRowCount();
        }
      }
      assertEquals(BIG_ROWS, rows);
    }
  }
}
