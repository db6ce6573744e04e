package dev.labelflight.server;

import dev.labelflight.engine.demo.ReviewsGenerator;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

/** Client-side helpers for the tests: upload generated rows, run actions. */
final class FlightClients {
  private FlightClients() {}

  /** Uploads generated reviews in batches of the given sizes; returns the server's acknowledgement. */
  static JsonObject uploadReviews(FlightClient client, BufferAllocator allocator, String name, long seed,
      int... batchSizes) throws Exception {
    ReviewsGenerator generator = new ReviewsGenerator(seed);
    try (VectorSchemaRoot root = VectorSchemaRoot.create(ReviewsGenerator.SCHEMA, allocator)) {
      try (SyncPutListener ack = new SyncPutListener()) {
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("datasets", name), root, ack);
      long row = 0;
      for (int size : batchSizes) {
        try (VectorSchemaRoot batch = generator.batch(row, size, allocator);
             ArrowRecordBatch arrow = new VectorUnloader(batch).getRecordBatch()) {
          new VectorLoader(root).load(arrow);
          put.putNext();
        }
        row += size;
      }
      put.completed();
      JsonObject result = null;
      while (true) {
        PutResult r;
        try {
          r = ack.read();
        } catch (java.util.concurrent.ExecutionException e) {
          throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
        if (r == null) {
          break;
        }
        try (r) {
          byte[] bytes = new byte[(int) r.getApplicationMetadata().readableBytes()];
          r.getApplicationMetadata().getBytes(0, bytes);
          result = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
        }
      }
      put.getResult();
      return result;
      }
    }
  }

  static JsonObject action(FlightClient client, String type, String body) {
    Iterator<Result> results = client.doAction(new Action(type, body.getBytes(StandardCharsets.UTF_8)));
    JsonObject reply = new JsonObject(new String(results.next().getBody(), StandardCharsets.UTF_8));
    while (results.hasNext()) {
      results.next();
    }
    return reply;
  }
}
