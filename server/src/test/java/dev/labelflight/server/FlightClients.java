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

  /** A Flight client of the test server on loopback, authenticated as its user. */
  static FlightClient connect(BufferAllocator allocator, TestServer server) {
    return server.client(allocator);
  }

  /** Uploads the given batches (all of one schema) as dataset {@code name}; throws the server's error. */
  static void put(FlightClient client, BufferAllocator allocator, String name, VectorSchemaRoot... batches)
      throws Exception {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(batches[0].getSchema(), allocator);
         SyncPutListener ack = new SyncPutListener()) {
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("datasets", name), root, ack);
      for (VectorSchemaRoot batch : batches) {
        try (ArrowRecordBatch arrow = new VectorUnloader(batch).getRecordBatch()) {
          new VectorLoader(root).load(arrow);
          put.putNext();
        }
      }
      put.completed();
      put.getResult();
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

  /** Polls job_status until the job leaves RUNNING; returns the final status. */
  static JsonObject awaitEnd(FlightClient client, String job, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (true) {
      JsonObject status = action(client, "job_status", "{\"job\":\"" + job + "\"}");
      if (!status.getString("state").equals("RUNNING")) {
        return status;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("job " + job + " still running after " + timeoutMs + " ms: " + status);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20)); // poll; bounded by the deadline
    }
  }

  /** Streams labels/JOB and returns the label columns {@code [lf][row]}, checking that rows come in order. */
  static byte[][] labels(FlightClient client, String job, int lfs, int rows) throws Exception {
    byte[][] labels = new byte[lfs][rows];
    int seen = 0;
    try (org.apache.arrow.flight.FlightStream stream =
             client.getStream(new org.apache.arrow.flight.Ticket(("labels/" + job).getBytes(StandardCharsets.UTF_8)))) {
      VectorSchemaRoot root = stream.getRoot();
      while (stream.next()) {
        org.apache.arrow.vector.BigIntVector rowId = (org.apache.arrow.vector.BigIntVector) root.getVector(0);
        for (int lf = 0; lf < lfs; lf++) {
          org.apache.arrow.vector.TinyIntVector column = (org.apache.arrow.vector.TinyIntVector) root.getVector(lf + 1);
          column.getDataBuffer().getBytes(0, labels[lf], seen, root.getRowCount());
        }
        for (int i = 0; i < root.getRowCount(); i++) {
          if (rowId.get(i) != seen + i) {
            throw new AssertionError("row " + (seen + i) + " arrived as " + rowId.get(i));
          }
        }
        seen += root.getRowCount();
      }
    }
    if (seen != rows) {
      throw new AssertionError("expected " + rows + " rows, got " + seen);
    }
    return labels;
  }

  /** Checks labels of generated reviews against the naive reference, LF by LF, row by row. */
  static void assertReviewLabels(BufferAllocator allocator, long seed, int rows, String lfsJson, byte[][] labels)
      throws Exception {
    com.fasterxml.jackson.databind.JsonNode lfs = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lfsJson);
    java.util.List<String> classes = java.util.List.of("HAM", "SPAM");
    try (VectorSchemaRoot data = new ReviewsGenerator(seed).batch(0, rows, allocator)) {
      for (int lf = 0; lf < lfs.size(); lf++) {
        com.fasterxml.jackson.databind.JsonNode spec = lfs.get(lf);
        org.apache.arrow.vector.FieldVector column = data.getVector(spec.get("column").asText());
        for (int row = 0; row < rows; row++) {
          Object value = column.getObject(row);
          int expected = dev.labelflight.engine.testing.ReferenceLabels.label(spec,
              value instanceof org.apache.arrow.vector.util.Text t ? t.toString() : value, classes);
          if (expected != labels[lf][row]) {
            throw new AssertionError("LF " + spec.get("name") + " row " + row + ": expected " + expected + " got "
                + labels[lf][row]);
          }
        }
      }
    }
  }
}
