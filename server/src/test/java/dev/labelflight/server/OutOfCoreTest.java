package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The task queue path on a dataset eight times larger than the memory budget. */
class OutOfCoreTest {
  static final int ROWS = 65_536;
  static final int TEXT_BYTES = 4_200;
  static final int POOL = 64;
  static final Schema SCHEMA = new Schema(List.of(
      new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
      new Field("text", FieldType.notNullable(new ArrowType.Utf8()), null)));
  static final String LFS = """
      [{"name":"kw","kind":"keyword","column":"text","keywords":["winner"],"label":"SPAM"},
       {"name":"re","kind":"regex","column":"text","pattern":"https?://","label":"SPAM"}]
      """;

  @TempDir Path dir;

  /** Long texts from a small seeded pool, so that every row's expected label is known from its pool index. */
  static String[] pool() {
    Random random = new Random(7);
    String[] words = {"good", "value", "broken", "fast", "slow", "price", "review", "shipping", "quality", "item"};
    String[] texts = new String[POOL];
    for (int p = 0; p < POOL; p++) {
      StringBuilder b = new StringBuilder(TEXT_BYTES);
      while (b.length() < TEXT_BYTES - 40) {
        b.append(words[random.nextInt(words.length)]).append(' ');
      }
      if (p % 3 == 0) {
        b.append("winner ");
      }
      if (p % 5 == 0) {
        b.append("see http://x.example ");
      }
      texts[p] = b.toString();
    }
    return texts;
  }

  /**
   * Stores rows of long pool texts straight through the server's dataset store (faster than Flight for 256 MiB),
   * as the test user's dataset {@code name}.
   */
  static Manifest writeLongText(TestServer server, BufferAllocator allocator, String name, int rows) {
    String[] texts = pool();
    byte[][] bytes = new byte[POOL][];
    for (int p = 0; p < POOL; p++) {
      bytes[p] = texts[p].getBytes(StandardCharsets.UTF_8);
    }
    try (BufferAllocator upload = allocator.newChildAllocator("upload", 0, Long.MAX_VALUE);
         DatasetUpload writer = server.server.node().datasets().beginUpload(
             dev.labelflight.engine.store.DatasetNames.qualify(TestServer.USER, name), SCHEMA, upload);
         VectorSchemaRoot batch = VectorSchemaRoot.create(SCHEMA, upload)) {
      BigIntVector id = (BigIntVector) batch.getVector(0);
      VarCharVector text = (VarCharVector) batch.getVector(1);
      for (int start = 0; start < rows; start += 1_024) {
        int n = Math.min(1_024, rows - start);
        batch.allocateNew();
        for (int i = 0; i < n; i++) {
          id.set(i, start + i);
          text.setSafe(i, bytes[poolIndex(start + i)]);
        }
        batch.setRowCount(n);
        writer.append(batch);
      }
      return writer.commit();
    }
  }

  static int poolIndex(long row) {
    return (int) ((row * 2654435761L >>> 8) % POOL);
  }

  /**
   * Verifies that with a 32 MiB budget a dataset of at least 256 MiB on disk is labelled on the task
   * queue (the router says why), that every row's labels are right, and that the budget's pool is
   * full again afterwards.
   */
  @Test
  void datasetLargerThanBudgetCompletesOnQueue() throws Exception {
    try (TestServer server = new TestServer(dir, 1_024, new JsonObject()
        .put("memory", new JsonObject().put("budgetMiB", 32)));
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      Manifest manifest = writeLongText(server, allocator, "big", ROWS);
      assertTrue(manifest.bytes() >= 256L << 20, "dataset is only " + (manifest.bytes() >> 20) + " MiB");

      String job = FlightClients.action(client, "apply",
          "{\"dataset\":\"big\",\"labels\":[\"HAM\",\"SPAM\"],\"lfs\":" + LFS + "}").getString("job");
      byte[][] labels = FlightClients.labels(client, job, 2, ROWS);
      JsonObject status = FlightClients.awaitEnd(client, job, 300_000);
      assertEquals("SUCCEEDED", status.getString("state"), status.encode());
      assertEquals("queue", status.getString("path"));
      assertTrue(status.getString("route").contains("more than the budget"), status.getString("route"));
      for (int row = 0; row < ROWS; row++) {
        int p = poolIndex(row);
        assertEquals(p % 3 == 0 ? 1 : -1, labels[0][row], "kw at row " + row);
        assertEquals(p % 5 == 0 ? 1 : -1, labels[1][row], "re at row " + row);
      }
      var budget = server.server.node().memoryPool();
      assertEquals(32L << 20, budget.maxBytes());
      assertEquals(budget.maxBytes(), budget.freeBytes());
      assertEquals(budget.maxBytes(), server.server.cluster().freeBytesOf(server.server.cluster().nodeId()));
      assertEquals(List.of(), server.blockedEventLoops);
    }
  }
}
