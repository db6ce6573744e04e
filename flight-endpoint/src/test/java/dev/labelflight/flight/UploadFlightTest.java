package dev.labelflight.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DoPut {@code ["datasets", NAME]} through a real Flight server: stored versions and refused uploads. */
class UploadFlightTest {
  @TempDir Path dir;
  FlightNode node;
  RootAllocator allocator;
  FlightClient alice;

  @BeforeEach
  void start() throws Exception {
    node = new FlightNode(dir, 1_000, new JsonObject());
    allocator = new RootAllocator();
    alice = node.client(allocator, FlightNode.ALICE_TOKEN);
  }

  @AfterEach
  void stop() throws Exception {
    alice.close();
    allocator.close();
    node.close();
  }

  /** Verifies that an upload in several batches is stored in chunks and acknowledged, and a second one is version 2. */
  @Test
  void uploadsAreStoredAsVersions() throws Exception {
    JsonObject ack = FlightNode.uploadReviews(alice, allocator, "reviews", 1, 1_500, 700);
    assertEquals(new JsonObject().put("dataset", "reviews").put("version", 1).put("rows", 2_200).put("chunks", 3), ack);
    JsonObject again = FlightNode.uploadReviews(alice, allocator, "reviews", 2, 10);
    assertEquals(2, again.getInteger("version"));
    assertEquals(List.of(1, 2), node.node.datasets().versions("alice~reviews"));
  }

  /** Verifies that a descriptor that is not ["datasets", NAME] and a name outside the naming rule are INVALID_ARGUMENT. */
  @Test
  void badDescriptorsAndNamesAreRefused() throws Exception {
    FlightRuntimeException path = assertThrows(FlightRuntimeException.class, () -> putEmpty(FlightDescriptor.path("labels", "x")));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, path.status().code());
    assertTrue(path.getMessage().contains("[\"datasets\", NAME]"), path.getMessage());
    FlightRuntimeException name = assertThrows(FlightRuntimeException.class,
        () -> FlightNode.uploadReviews(alice, allocator, "../escape", 1, 10));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, name.status().code());
    assertTrue(name.getMessage().contains("letters, digits"), name.getMessage());
    assertTrue(node.node.datasets().names().isEmpty());
  }

  /** Verifies that an unsupported column type is INVALID_ARGUMENT naming the column, and stores nothing. */
  @Test
  void unsupportedTypesAreRefused() throws Exception {
    Schema dates = new Schema(List.of(new Field("d", FieldType.nullable(new ArrowType.Date(DateUnit.DAY)), null)));
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
        () -> put(FlightDescriptor.path("datasets", "dates"), dates));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code());
    assertTrue(e.getMessage().contains("'d'"), e.getMessage());
    assertTrue(node.node.datasets().versions("alice~dates").isEmpty());
  }

  private void putEmpty(FlightDescriptor descriptor) throws Exception {
    put(descriptor, new Schema(List.of(new Field("n", FieldType.nullable(new ArrowType.Int(32, true)), null))));
  }

  private void put(FlightDescriptor descriptor, Schema schema) throws Exception {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
         SyncPutListener ack = new SyncPutListener()) {
      root.setRowCount(0);
      FlightClient.ClientStreamListener put = alice.startPut(descriptor, root, ack);
      put.putNext();
      put.completed();
      put.getResult();
    }
  }
}
