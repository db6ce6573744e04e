package dev.labelflight.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.store.UploadLimits;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Oversized and malformed uploads (#16.7) through a real Flight server whose Arrow memory is limited to
 * 128 MiB and whose batches to {@code limits.maxBatchBytes} = 16 MiB: each is refused with a clear error,
 * leaves the listing and the data directory as they were, and leaks no Arrow memory.
 */
class UploadFaultsFlightTest {
  static final long MAX_BATCH = 16L << 20;
  @TempDir Path dir;
  FlightNode node;
  RootAllocator allocator;
  FlightClient alice;

  @BeforeEach
  void start() throws Exception {
    node = new FlightNode(dir, 1_000, new JsonObject(), new UploadLimits(MAX_BATCH, 4L << 20), 128L << 20);
    allocator = new RootAllocator();
    alice = node.client(allocator, FlightNode.ALICE_TOKEN);
    FlightNode.uploadReviews(alice, allocator, "reviews", 1, 1_500);
  }

  @AfterEach
  void stop() throws Exception {
    alice.close();
    allocator.close();
    node.close();
  }

  /** The listing and every file under the data directory's datasets, to compare before and after a refused upload. */
  private List<String> stored() throws Exception {
    List<String> all = new ArrayList<>();
    for (FlightInfo info : alice.listFlights(Criteria.ALL)) {
      all.add(String.join("/", info.getDescriptor().getPath()) + ":" + info.getRecords());
    }
    try (Stream<Path> files = Files.walk(dir.resolve("datasets"))) {
      files.map(p -> dir.relativize(p).toString()).sorted().forEach(all::add);
    }
    return all;
  }

  /**
   * Verifies that names of up to 128 characters are stored once and acknowledged (they used to be stored
   * and then refused with RESOURCE_EXHAUSTED, each retry adding a version), and that a longer name is
   * INVALID_ARGUMENT stating the rule, with the limit in its details, storing nothing.
   */
  @Test
  void longNamesAreStoredOnceOrRefusedUpFront() throws Exception {
    String longest = "n".repeat(128);
    JsonObject ack = FlightNode.uploadReviews(alice, allocator, longest, 2, 10);
    assertEquals(longest, ack.getString("dataset"));
    assertEquals(1, ack.getInteger("version"));
    assertEquals(List.of(1), node.node.datasets().versions("alice~" + longest));

    List<String> before = stored();
    String tooLong = "n".repeat(129);
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
        () -> FlightNode.uploadReviews(alice, allocator, tooLong, 2, 10));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code(), e.getMessage());
    assertTrue(e.getMessage().contains("1 to 128 characters"), e.getMessage());
    JsonObject details = ErrorDetailsFlightTest.details(e);
    assertEquals(128, details.getInteger("limit"), details.encode());
    assertEquals(129, details.getInteger("requested"), details.encode());
    assertEquals(before, stored());
  }

  /**
   * Verifies that a dictionary-encoded column whose values decode to more than limits.maxBatchBytes (a
   * 1 MiB dictionary value used by 100 rows: 100 MiB decoded, from a 1 MiB message) is refused before
   * anything is decoded, naming the limit, with nothing stored and no Arrow memory left behind; it used to
   * decode until the node's memory ran out and fail INTERNAL, leaking what it had decoded.
   */
  @Test
  void oversizedDictionaryColumnsAreRefusedBeforeDecoding() throws Exception {
    List<String> before = stored();
    long baseline = node.allocated();
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, () -> uploadDictionary("bomb", 1 << 20, 100));
    assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code(), e.getMessage());
    assertTrue(e.getMessage().contains("limits.maxBatchBytes"), e.getMessage());
    JsonObject details = ErrorDetailsFlightTest.details(e);
    assertEquals(MAX_BATCH, details.getLong("limit"), details.encode());
    assertTrue(details.getLong("requested") > 100L << 20, details.encode());
    assertEquals("bytes", details.getString("unit"));
    assertEquals(baseline, node.allocated(), () -> "Arrow memory left by the refused upload: " + node.holders());
    assertEquals(before, stored());

    // A dictionary column within the limits still uploads, decoded.
    uploadDictionary("fits", 1_000, 100);
    assertEquals(List.of(1), node.node.datasets().versions("alice~fits"));
  }

  /** Uploads one batch of {@code rows} rows whose column "c" all refer to one dictionary value of {@code valueBytes} bytes. */
  private void uploadDictionary(String name, int valueBytes, int rows) throws Exception {
    try (VarCharVector values = new VarCharVector("values", allocator)) {
      values.allocateNew(valueBytes, 1);
      values.setSafe(0, "x".repeat(valueBytes).getBytes(StandardCharsets.US_ASCII));
      values.setValueCount(1);
      Dictionary dictionary = new Dictionary(values, new DictionaryEncoding(3L, false, new ArrowType.Int(32, true)));
      Field field = new Field("c", new FieldType(true, new ArrowType.Int(32, true), dictionary.getEncoding()), null);
      try (IntVector indices = (IntVector) field.createVector(allocator)) {
        indices.allocateNew(rows);
        for (int i = 0; i < rows; i++) {
          indices.set(i, 0);
        }
        indices.setValueCount(rows);
        try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(field), List.<FieldVector>of(indices), rows);
             SyncPutListener ack = new SyncPutListener()) {
          FlightClient.ClientStreamListener put = alice.startPut(FlightDescriptor.path("datasets", name), root,
              new DictionaryProvider.MapDictionaryProvider(dictionary), ack);
          put.putNext();
          put.completed();
          put.getResult();
        }
      }
    }
  }
}
