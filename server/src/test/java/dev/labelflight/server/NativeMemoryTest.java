package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native memory that must come back (issue 16.2), on a real server process started as {@code java ... Main} with
 * {@code -Xmx1g}, the heap pre-touched (so heap growth is not counted) and a fixed 512 MiB budget.
 */
class NativeMemoryTest {
  /** Cycles of upload, resident apply and drop ({@code -Dlabelflight.memory.cycles}; the case is 20). */
  static final int CYCLES = Integer.getInteger("labelflight.memory.cycles", 20);
  static final long GROWTH_LIMIT_MIB = 64;
  static final int ROWS = 290_000;
  static final int BATCH = 10_000;
  static final Schema SCHEMA = new Schema(List.of(
      Field.nullable("text", new ArrowType.Utf8()), Field.nullable("n", new ArrowType.Int(32, true))));
  static final String[] WORDS = ("the a an of to and in is it for on with this that was great bad product service "
      + "delivery price quality free money click here offer order refund broken works love hate recommend never "
      + "again fast slow cheap expensive support call email account password update winner prize urgent").split(" ");
  static final String APPLY = "{\"dataset\":\"cycle\",\"labels\":[\"HAM\",\"SPAM\"],\"mode\":\"resident\",\"lfs\":["
      + "{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"refund\",\"great\"],\"label\":\"SPAM\"},"
      + "{\"name\":\"re\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"\\\\bprice\\\\b\",\"label\":\"HAM\"},"
      + "{\"name\":\"num\",\"kind\":\"numeric\",\"column\":\"n\",\"op\":\"<\",\"value\":100,\"label\":\"HAM\"}]}";

  @TempDir Path dir;

  /**
   * Verifies that repeated cycles of uploading ~86 MB of text, applying LFs on a resident copy (labels streamed to
   * the end) and dropping the dataset give every byte back: after each cycle Arrow's allocator and the budget are
   * exactly at their baseline, and the process RSS grows by less than 64 MiB from cycle 2 to the last.
   */
  @Test
  void residentCyclesGiveNativeMemoryBack() throws Exception {
    try (RootAllocator allocator = new RootAllocator();
         ChildServer server = new ChildServer(dir, List.of("-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"),
             Map.of("LABELFLIGHT_MEMORY_BUDGETMIB", "512"));
         FlightClient client = server.client(allocator)) {
      List<VectorSchemaRoot> batches = generate(allocator);
      try {
        double arrowBaseline = server.metric("labelflight_arrow_allocated_bytes", "");
        double freeBaseline = server.metric("labelflight_memory_permits_bytes", "kind=\"free\"");
        long cycle2Rss = 0;
        List<String> report = new ArrayList<>();
        for (int cycle = 1; cycle <= CYCLES; cycle++) {
          long start = System.nanoTime();
          upload(client, allocator, batches);
          String job = FlightClients.action(client, "apply", APPLY).getString("job");
          JsonObject end = FlightClients.awaitEnd(client, job, 120_000);
          assertEquals("SUCCEEDED", end.getString("state"), end.encode());
          assertEquals("resident", end.getString("path"), end.encode());
          long rows = 0;
          try (FlightStream stream = client.getStream(new Ticket(("labels/" + job).getBytes(StandardCharsets.UTF_8)))) {
            while (stream.next()) {
              rows += stream.getRoot().getRowCount();
            }
          }
          assertEquals(ROWS, rows);
          FlightClients.action(client, "drop_dataset", "{\"dataset\":\"cycle\"}");
          double arrow = awaitMetric(server, "labelflight_arrow_allocated_bytes", "", arrowBaseline);
          double free = awaitMetric(server, "labelflight_memory_permits_bytes", "kind=\"free\"", freeBaseline);
          long rss = server.statusKib("VmRSS") >> 10;
          report.add(String.format("cycle %d: %d ms, RSS %d MiB, peak %d MiB, Arrow %.0f B, budget free %.0f B", cycle,
              (System.nanoTime() - start) / 1_000_000, rss, server.statusKib("VmHWM") >> 10, arrow, free));
          System.out.println(report.get(report.size() - 1));
          assertEquals(arrowBaseline, arrow, "Arrow memory after cycle " + cycle);
          assertEquals(freeBaseline, free, "free budget after cycle " + cycle);
          if (cycle == 2) {
            cycle2Rss = rss;
          }
        }
        long growth = (server.statusKib("VmRSS") >> 10) - cycle2Rss;
        assertTrue(growth < GROWTH_LIMIT_MIB, "RSS grew " + growth + " MiB from cycle 2 to cycle " + CYCLES
            + " (limit " + GROWTH_LIMIT_MIB + " MiB):\n" + String.join("\n", report));
      } finally {
        batches.forEach(VectorSchemaRoot::close);
      }
    }
  }

  /**
   * Verifies that a configured budget above what the JVM's direct-memory limit leaves (limit minus 64 MiB for
   * transport buffers) is clamped at start with a warning naming the flag, so that the contract holds for a plain
   * {@code java -jar} too.
   */
  @Test
  void budgetAboveTheDirectLimitIsClamped() throws Exception {
    try (ChildServer server = new ChildServer(dir, List.of("-Xmx256m", "-XX:MaxDirectMemorySize=256m"),
        Map.of("LABELFLIGHT_MEMORY_BUDGETMIB", "512"))) {
      JsonObject health = server.health();
      assertEquals(192L << 20, health.getJsonObject("memory").getLong("budgetBytes"), health.encode());
      String log = server.logTail(200);
      assertTrue(log.contains("memory budget clamped") && log.contains("-XX:MaxDirectMemorySize=576m"), log);
    }
  }

  /** Verifies that a direct-memory limit too small for any budget stops the server at start with the reason. */
  @Test
  void tooSmallDirectLimitRefusesToStart() throws Exception {
    String out = ChildServer.startExpectingExit(dir, List.of("-Xmx256m", "-XX:MaxDirectMemorySize=80m"), Map.of());
    assertTrue(out.startsWith("exit 1") && out.contains("direct-memory limit of 80 MiB")
        && out.contains("-XX:MaxDirectMemorySize=96m"), out);
  }

  /** Polls a metric until it equals {@code expected} or 10 s passed; returns the last value. */
  static double awaitMetric(ChildServer server, String family, String filter, double expected) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    double value = server.metric(family, filter);
    while (value != expected && System.currentTimeMillis() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(50)); // poll; bounded by the deadline
      value = server.metric(family, filter);
    }
    return value;
  }

  /** ~86 MB of word text (100-500 bytes a row, fixed seed) and a number column, in batches of 10,000 rows. */
  static List<VectorSchemaRoot> generate(BufferAllocator allocator) {
    Random random = new Random(16_2);
    List<VectorSchemaRoot> batches = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (int first = 0; first < ROWS; first += BATCH) {
      VectorSchemaRoot batch = VectorSchemaRoot.create(SCHEMA, allocator);
      batches.add(batch);
      batch.allocateNew();
      VarCharVector texts = (VarCharVector) batch.getVector(0);
      IntVector numbers = (IntVector) batch.getVector(1);
      for (int i = 0; i < BATCH; i++) {
        text.setLength(0);
        int length = 100 + random.nextInt(400);
        while (text.length() < length) {
          text.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
        }
        texts.setSafe(i, text.toString().getBytes(StandardCharsets.UTF_8));
        numbers.setSafe(i, random.nextInt(1000));
      }
      batch.setRowCount(BATCH);
    }
    return batches;
  }

  static void upload(FlightClient client, BufferAllocator allocator, List<VectorSchemaRoot> batches) throws Exception {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
         SyncPutListener ack = new SyncPutListener()) {
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("datasets", "cycle"), root, ack);
      for (VectorSchemaRoot batch : batches) {
        try (ArrowRecordBatch arrow = new VectorUnloader(batch).getRecordBatch()) {
          new VectorLoader(root).load(arrow);
          put.putNext();
        }
      }
      put.completed();
      PutResult result;
      while ((result = ack.read()) != null) {
        result.close();
      }
      put.getResult();
    }
  }
}
