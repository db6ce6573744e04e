package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** drop_dataset through a real server: versions, cached labels and the resident copy go; the name is free again. */
class DropDatasetTest {
  @TempDir Path dir;

  private static final String LFS = "[{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"free\"],"
      + "\"label\":\"SPAM\"},{\"name\":\"low\",\"kind\":\"numeric\",\"column\":\"stars\",\"op\":\"<\",\"value\":3,\"label\":\"HAM\"}]";

  /**
   * Verifies that drop_dataset removes every version, its cached labels and its resident copy (the budget
   * comes back in full), that the name is then unknown, and that a new upload starts again at version 1.
   */
  @Test
  void dropRemovesVersionsCacheAndResidentCopy() throws Exception {
    try (TestServer server = new TestServer(dir, 1000);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "doomed", 1, 2500);
      FlightClients.uploadReviews(client, allocator, "doomed", 2, 1500);
      FlightClients.uploadReviews(client, allocator, "kept", 3, 1200);
      long fullBudget = server.server.node().memoryPool().freeBytes();
      // On disk the dataset lives in its owner's namespace.
      String stored = dev.labelflight.engine.store.DatasetNames.qualify(TestServer.USER, "doomed");
      for (String mode : new String[] {"queue", "resident"}) {
        String job = FlightClients.action(client, "apply", "{\"dataset\":\"doomed\",\"labels\":[\"HAM\",\"SPAM\"],"
            + "\"mode\":\"" + mode + "\",\"lfs\":" + LFS + "}").getString("job");
        awaitEnd(client, job);
      }
      assertTrue(filesUnder(dir.resolve("cache").resolve(stored)) > 0, "labels were cached");
      assertTrue(server.server.node().memoryPool().freeBytes() < fullBudget, "a resident copy holds permits");

      JsonObject dropped = FlightClients.action(client, "drop_dataset", "{\"dataset\":\"doomed\"}");
      assertEquals(new JsonArray().add(1).add(2), dropped.getJsonArray("versions"));
      assertEquals(0, filesUnder(dir.resolve("datasets").resolve(stored)));
      assertEquals(0, filesUnder(dir.resolve("cache").resolve(stored)));
      assertEquals(fullBudget, server.server.node().memoryPool().freeBytes(), "the resident copy gave its permits back");
      FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
          () -> client.getInfo(FlightDescriptor.path("datasets", "doomed")));
      assertEquals(FlightStatusCode.NOT_FOUND, e.status().code());
      e = assertThrows(FlightRuntimeException.class,
          () -> FlightClients.action(client, "drop_dataset", "{\"dataset\":\"doomed\"}"));
      assertEquals(FlightStatusCode.NOT_FOUND, e.status().code());
      e = assertThrows(FlightRuntimeException.class,
          () -> FlightClients.action(client, "drop_dataset", "{\"dataset\":\"../kept\"}"));
      assertEquals(FlightStatusCode.INVALID_ARGUMENT, e.status().code());

      assertEquals(1200, client.getInfo(FlightDescriptor.path("datasets", "kept")).getRecords(), "others untouched");
      assertEquals(1, FlightClients.uploadReviews(client, allocator, "doomed", 4, 10).getInteger("version"));
      assertFalse(server.blockedEventLoops.size() > 0, String.valueOf(server.blockedEventLoops));
    }
  }

  private static void awaitEnd(FlightClient client, String job) throws Exception {
    JsonObject end = Await.until(java.time.Duration.ofSeconds(30), () -> FlightClients.action(client, "job_status",
        "{\"job\":\"" + job + "\"}"), s -> !s.getString("state").equals("RUNNING"), "job " + job + " ends");
    assertEquals("SUCCEEDED", end.getString("state"), end.encode());
  }

  private static long filesUnder(Path d) throws Exception {
    if (!Files.exists(d)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(d)) {
      return files.filter(Files::isRegularFile).count();
    }
  }
}
