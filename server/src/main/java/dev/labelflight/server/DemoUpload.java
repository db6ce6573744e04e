package dev.labelflight.server;

import dev.labelflight.engine.demo.ReviewsGenerator;
import java.nio.charset.StandardCharsets;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

/**
 * Uploads the generated demo reviews to a running server over Flight DoPut, as any client would:
 * {@code java -cp server/target/labelflight-server.jar dev.labelflight.server.DemoUpload HOST PORT NAME ROWS [SEED]}.
 * Prints the server's acknowledgement (dataset, version, rows, chunks). The bearer token, if the server
 * wants one, comes from the environment variable {@code LABELFLIGHT_TOKEN}.
 */
public final class DemoUpload {
  private static final int BATCH_ROWS = 10_000;

  private DemoUpload() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: DemoUpload HOST PORT NAME ROWS [SEED]");
      System.exit(2);
    }
    int rows = Integer.parseInt(args[3]);
    ReviewsGenerator generator = new ReviewsGenerator(args.length > 4 ? Long.parseLong(args[4]) : 42L);
    try (RootAllocator allocator = new RootAllocator();
         FlightClient client = client(allocator, Location.forGrpcInsecure(args[0], Integer.parseInt(args[1])),
             System.getenv("LABELFLIGHT_TOKEN"));
         VectorSchemaRoot root = VectorSchemaRoot.create(ReviewsGenerator.SCHEMA, allocator);
         SyncPutListener ack = new SyncPutListener()) {
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("datasets", args[2]), root, ack);
      for (int row = 0; row < rows; row += BATCH_ROWS) {
        try (VectorSchemaRoot batch = generator.batch(row, Math.min(BATCH_ROWS, rows - row), allocator);
             ArrowRecordBatch arrow = new VectorUnloader(batch).getRecordBatch()) {
          new VectorLoader(root).load(arrow);
          put.putNext();
        }
      }
      put.completed();
      try (PutResult result = ack.read()) {
        byte[] meta = new byte[(int) result.getApplicationMetadata().readableBytes()];
        result.getApplicationMetadata().getBytes(0, meta);
        System.out.println(new String(meta, StandardCharsets.UTF_8));
      }
      put.getResult();
    }
  }

  private static FlightClient client(RootAllocator allocator, Location location, String token) {
    FlightClient.Builder builder = FlightClient.builder(allocator, location);
    if (token != null && !token.isEmpty()) {
      builder.intercept(new dev.labelflight.flight.auth.BearerToken(token));
    }
    return builder.build();
  }
}
