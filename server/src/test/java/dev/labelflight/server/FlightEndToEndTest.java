package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.testing.ReferenceLabels;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.Text;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upload, apply and stream the label matrix through the real Flight server on loopback. */
class FlightEndToEndTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int ROWS = 200_000;
  static final String LFS = """
      [{"name":"kw_spam","kind":"keyword","column":"text","keywords":["free money","winner","click here"],"label":"SPAM"},
       {"name":"kw_use","kind":"keyword","column":"text","keywords":["use","Happy"],"caseSensitive":true,"wholeWord":true,"label":"HAM"},
       {"name":"re_url","kind":"regex","column":"text","pattern":"https?://","label":"SPAM"},
       {"name":"re_good","kind":"regex","column":"text","pattern":"(great|excellent) (value|quality)?","caseSensitive":false,"label":"HAM"},
       {"name":"low_stars","kind":"numeric","column":"stars","op":"<","value":3,"label":"SPAM"},
       {"name":"mid_price","kind":"numeric","column":"price","op":"between","min":10,"max":50.5,"label":"HAM"}]
      """;

  @TempDir Path dir;

  /**
   * Verifies that 200,000 rows uploaded in several batches, labelled by one LF of each kind and streamed
   * back while the job runs, match an independent plain-Java computation on every row; and that the
   * event loops never blocked meanwhile.
   */
  @Test
  void uploadApplyStreamMatchesReference() throws Exception {
    try (TestServer server = new TestServer(dir, 16_384);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      JsonObject ack = FlightClients.uploadReviews(client, allocator, "reviews", 11,
          50_000, 1, 30_000, 49_999, 70_000);
      assertEquals(new JsonObject().put("dataset", "reviews").put("version", 1).put("rows", ROWS).put("chunks", 13), ack);

      FlightInfo info = client.getInfo(FlightDescriptor.path("datasets", "reviews"));
      assertEquals(ROWS, info.getRecords());
      assertEquals(ReviewsGenerator.SCHEMA, info.getSchema());

      String body = "{\"dataset\":\"reviews\",\"labels\":[\"HAM\",\"SPAM\"],\"lfs\":" + LFS + "}";
      String job = FlightClients.action(client, "apply", body).getString("job");

      byte[][] labels = new byte[6][ROWS];
      int seen = 0;
      try (FlightStream stream = client.getStream(new Ticket(("labels/" + job).getBytes(StandardCharsets.UTF_8)))) {
        VectorSchemaRoot root = stream.getRoot();
        assertEquals(List.of("row_id", "kw_spam", "kw_use", "re_url", "re_good", "low_stars", "mid_price"),
            root.getSchema().getFields().stream().map(f -> f.getName()).toList());
        while (stream.next()) {
          BigIntVector rowId = (BigIntVector) root.getVector(0);
          for (int i = 0; i < root.getRowCount(); i++) {
            assertEquals(seen + i, rowId.get(i), "rows must arrive in dataset order");
            for (int lf = 0; lf < 6; lf++) {
              labels[lf][seen + i] = ((TinyIntVector) root.getVector(lf + 1)).get(i);
            }
          }
          seen += root.getRowCount();
        }
      }
      assertEquals(ROWS, seen);

      JsonObject status = FlightClients.action(client, "job_status", "{\"job\":\"" + job + "\"}");
      assertEquals("SUCCEEDED", status.getString("state"));
      assertEquals(13, status.getInteger("chunksDone"));

      JsonNode lfs = JSON.readTree(LFS);
      List<String> classes = List.of("HAM", "SPAM");
      ReviewsGenerator generator = new ReviewsGenerator(11);
      int[] votes = new int[6];
      try (VectorSchemaRoot rows = generator.batch(0, ROWS, allocator)) {
        for (int lf = 0; lf < 6; lf++) {
          JsonNode spec = lfs.get(lf);
          FieldVector column = rows.getVector(spec.get("column").asText());
          for (int row = 0; row < ROWS; row++) {
            Object value = column.getObject(row);
            int expected = ReferenceLabels.label(spec, value instanceof Text t ? t.toString() : value, classes);
            if (expected != labels[lf][row]) {
              throw new AssertionError("LF " + spec.get("name") + " row " + row + " value " + value
                  + ": expected " + expected + " got " + labels[lf][row]);
            }
            votes[lf] += expected >= 0 ? 1 : 0;
          }
        }
      }
      for (int lf = 0; lf < 6; lf++) {
        assertTrue(votes[lf] > 100 && votes[lf] < ROWS, "LF " + lf + " should vote on some rows: " + votes[lf]);
      }
      assertEquals(List.of(), server.blockedEventLoops);
    }
  }

  /** Verifies that ListFlights describes every stored version with its schema and row count. */
  @Test
  void listFlightsDescribesDatasets() throws Exception {
    try (TestServer server = new TestServer(dir, 1000);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      FlightClients.uploadReviews(client, allocator, "a", 1, 1500);
      FlightClients.uploadReviews(client, allocator, "a", 2, 10);
      FlightClients.uploadReviews(client, allocator, "b", 3, 7);
      List<String> seen = new ArrayList<>();
      for (FlightInfo info : client.listFlights(org.apache.arrow.flight.Criteria.ALL)) {
        JsonObject meta = new JsonObject(new String(info.getAppMetadata(), StandardCharsets.UTF_8));
        seen.add(meta.getString("name") + "@" + meta.getInteger("version") + ":" + info.getRecords());
        assertEquals(ReviewsGenerator.SCHEMA, info.getSchema());
        assertEquals(List.of("datasets", meta.getString("name"), String.valueOf(meta.getInteger("version"))),
            info.getDescriptor().getPath());
      }
      assertEquals(List.of("a@1:1500", "a@2:10", "b@1:7"), seen);

      // The ticket in the listing streams the stored rows back.
      FlightInfo a1 = client.getInfo(FlightDescriptor.path("datasets", "a", "1"));
      long rows = 0;
      try (FlightStream stream = client.getStream(a1.getEndpoints().get(0).getTicket())) {
        while (stream.next()) {
          rows += stream.getRoot().getRowCount();
        }
      }
      assertEquals(1500, rows);
    }
  }

  /**
   * Verifies that every supported column type (utf8, large_utf8, int32, int64, float32, float64, bool,
   * with nulls) survives upload and reads back equal, and that numeric LFs work on float32 and int64.
   */
  @Test
  void everySupportedTypeRoundTrips() throws Exception {
    org.apache.arrow.vector.types.pojo.Schema schema = new org.apache.arrow.vector.types.pojo.Schema(List.of(
        field("s", new org.apache.arrow.vector.types.pojo.ArrowType.Utf8()),
        field("ls", new org.apache.arrow.vector.types.pojo.ArrowType.LargeUtf8()),
        field("i32", new org.apache.arrow.vector.types.pojo.ArrowType.Int(32, true)),
        field("i64", new org.apache.arrow.vector.types.pojo.ArrowType.Int(64, true)),
        field("f32", new org.apache.arrow.vector.types.pojo.ArrowType.FloatingPoint(
            org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE)),
        field("f64", new org.apache.arrow.vector.types.pojo.ArrowType.FloatingPoint(
            org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE)),
        field("b", new org.apache.arrow.vector.types.pojo.ArrowType.Bool())));
    int rows = 2500;
    try (TestServer server = new TestServer(dir, 1000);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator);
         VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
      root.allocateNew();
      for (int i = 0; i < rows; i++) {
        boolean isNull = i % 7 == 3;
        if (isNull) {
          for (FieldVector v : root.getFieldVectors()) {
            v.setNull(i);
          }
          continue;
        }
        ((org.apache.arrow.vector.VarCharVector) root.getVector("s")).setSafe(i, new Text("s" + i));
        ((org.apache.arrow.vector.LargeVarCharVector) root.getVector("ls")).setSafe(i, new Text("ünï " + i));
        ((org.apache.arrow.vector.IntVector) root.getVector("i32")).setSafe(i, i - 1000);
        ((BigIntVector) root.getVector("i64")).setSafe(i, (long) i << 40);
        ((org.apache.arrow.vector.Float4Vector) root.getVector("f32")).setSafe(i, i / 4f);
        ((org.apache.arrow.vector.Float8Vector) root.getVector("f64")).setSafe(i, Math.sqrt(i));
        ((org.apache.arrow.vector.BitVector) root.getVector("b")).setSafe(i, i % 2);
      }
      root.setRowCount(rows);
      try (org.apache.arrow.flight.SyncPutListener ack = new org.apache.arrow.flight.SyncPutListener()) {
        FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("datasets", "types"), root, ack);
        put.putNext();
        put.completed();
        put.getResult();
      }
      List<Object> back = new ArrayList<>();
      FlightInfo info = client.getInfo(FlightDescriptor.path("datasets", "types"));
      assertEquals(schema, info.getSchema());
      try (FlightStream stream = client.getStream(info.getEndpoints().get(0).getTicket())) {
        while (stream.next()) {
          for (int i = 0; i < stream.getRoot().getRowCount(); i++) {
            for (FieldVector v : stream.getRoot().getFieldVectors()) {
              back.add(String.valueOf(v.getObject(i)));
            }
          }
        }
      }
      List<Object> sent = new ArrayList<>();
      for (int i = 0; i < rows; i++) {
        for (FieldVector v : root.getFieldVectors()) {
          sent.add(String.valueOf(v.getObject(i)));
        }
      }
      assertEquals(sent, back);

      String body = "{\"dataset\":\"types\",\"labels\":[\"A\"],\"lfs\":["
          + "{\"name\":\"f\",\"kind\":\"numeric\",\"column\":\"f32\",\"op\":\">=\",\"value\":100.25,\"label\":\"A\"},"
          + "{\"name\":\"big\",\"kind\":\"numeric\",\"column\":\"i64\",\"op\":\">\",\"value\":1.0e15,\"label\":\"A\"},"
          + "{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"ls\",\"keywords\":[\"ÜNÏ 12\"],\"label\":\"A\"}]}";
      String job = FlightClients.action(client, "apply", body).getString("job");
      try (FlightStream stream = client.getStream(new Ticket(("labels/" + job).getBytes(StandardCharsets.UTF_8)))) {
        int row = 0;
        while (stream.next()) {
          VectorSchemaRoot labels = stream.getRoot();
          for (int i = 0; i < labels.getRowCount(); i++, row++) {
            boolean isNull = row % 7 == 3;
            assertEquals(!isNull && row / 4f >= 100.25f ? 0 : -1, ((TinyIntVector) labels.getVector("f")).get(i));
            assertEquals(!isNull && ((long) row << 40) > 1e15 ? 0 : -1, ((TinyIntVector) labels.getVector("big")).get(i));
            // The keyword is lower-cased ("ünï 12"); the text's non-ASCII letters are matched as written.
            assertEquals(!isNull && String.valueOf(row).startsWith("12") ? 0 : -1,
                ((TinyIntVector) labels.getVector("kw")).get(i));
          }
        }
        assertEquals(rows, row);
      }
    }
  }

  /**
   * Verifies that a dictionary-encoded text column is accepted, stored decoded (so it reads back as
   * plain utf8), and labelled by categorical and keyword LFs like any text column.
   */
  @Test
  void dictionaryEncodedColumnsAreStoredDecoded() throws Exception {
    String[] sources = {"forum", "sms", "web"};
    int rows = 3000;
    try (TestServer server = new TestServer(dir, 1000);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator);
         org.apache.arrow.vector.VarCharVector dictionaryValues =
             new org.apache.arrow.vector.VarCharVector("sources", allocator);
         org.apache.arrow.vector.VarCharVector plain = new org.apache.arrow.vector.VarCharVector("source", allocator)) {
      dictionaryValues.allocateNew();
      for (int i = 0; i < sources.length; i++) {
        dictionaryValues.setSafe(i, new Text(sources[i]));
      }
      dictionaryValues.setValueCount(sources.length);
      org.apache.arrow.vector.dictionary.Dictionary dictionary = new org.apache.arrow.vector.dictionary.Dictionary(
          dictionaryValues, new org.apache.arrow.vector.types.pojo.DictionaryEncoding(7L, false, null));
      plain.allocateNew();
      for (int i = 0; i < rows; i++) {
        if (i % 11 == 5) {
          plain.setNull(i);
        } else {
          plain.setSafe(i, new Text(sources[i % 3]));
        }
      }
      plain.setValueCount(rows);
      try (FieldVector encoded = (FieldVector) org.apache.arrow.vector.dictionary.DictionaryEncoder.encode(plain, dictionary);
           VectorSchemaRoot root = new VectorSchemaRoot(List.of(encoded));
           org.apache.arrow.flight.SyncPutListener ack = new org.apache.arrow.flight.SyncPutListener()) {
        root.setRowCount(rows);
        org.apache.arrow.vector.dictionary.DictionaryProvider.MapDictionaryProvider provider =
            new org.apache.arrow.vector.dictionary.DictionaryProvider.MapDictionaryProvider(dictionary);
        FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("datasets", "dict"), root, provider, ack);
        put.putNext();
        put.completed();
        put.getResult();
      }
      FlightInfo info = client.getInfo(FlightDescriptor.path("datasets", "dict"));
      assertEquals(new org.apache.arrow.vector.types.pojo.ArrowType.Utf8(), info.getSchema().findField("source").getType());
      assertEquals(null, info.getSchema().findField("source").getDictionary());
      String body = "{\"dataset\":\"dict\",\"labels\":[\"A\",\"B\"],\"lfs\":["
          + "{\"name\":\"cat\",\"kind\":\"categorical\",\"column\":\"source\",\"values\":[\"sms\",\"web\"],\"label\":\"B\"},"
          + "{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"source\",\"keywords\":[\"FOR\"],\"label\":\"A\"}]}";
      String job = FlightClients.action(client, "apply", body).getString("job");
      int row = 0;
      try (FlightStream stream = client.getStream(new Ticket(("labels/" + job).getBytes(StandardCharsets.UTF_8)))) {
        while (stream.next()) {
          VectorSchemaRoot labels = stream.getRoot();
          for (int i = 0; i < labels.getRowCount(); i++, row++) {
            boolean isNull = row % 11 == 5;
            String source = sources[row % 3];
            assertEquals(!isNull && !source.equals("forum") ? 1 : -1, ((TinyIntVector) labels.getVector("cat")).get(i));
            assertEquals(!isNull && source.equals("forum") ? 0 : -1, ((TinyIntVector) labels.getVector("kw")).get(i));
          }
        }
      }
      assertEquals(rows, row);
    }
  }

  /**
   * Verifies that a dataset download far bigger than the server's send buffer, read by a client that
   * pauses until the server waits for it, goes on as soon as the client reads again rather than after the
   * call timeout (10 minutes here; the test's own timeout is 2): the server must notice the stream is
   * ready again by itself.
   */
  @Test
  @Timeout(120)
  void largeDownloadResumesWhenTheClientCatchesUp() throws Exception {
    int rows = 6_000_000; // 48 MB of int64, three times the 16 MiB backpressure threshold
    JsonObject overrides = new JsonObject().put("flight", new JsonObject().put("callTimeoutMs", 600_000));
    try (TestServer server = new TestServer(dir, 131_072, overrides);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      uploadBig(client, allocator, rows);
      long count = 0;
      long sum = 0;
      try (FlightStream stream = client.getStream(new Ticket("dataset/big@1".getBytes(StandardCharsets.UTF_8)))) {
        boolean paused = false;
        while (stream.next()) {
          BigIntVector v = (BigIntVector) stream.getRoot().getVector("v");
          for (int i = 0; i < v.getValueCount(); i++) {
            sum += v.get(i);
          }
          count += v.getValueCount();
          if (!paused) {
            paused = true;
            // The client reads nothing until the server has filled what it may buffer and waits for it.
            Eventually.until(java.time.Duration.ofSeconds(30),
                () -> server.server.flight().streams().waitingForClients() == 1,
                () -> "the download waiting for its client");
          }
        }
      }
      assertEquals(rows, count);
      assertEquals((long) rows * (rows - 1) / 2, sum);
    }
  }

  /**
   * Verifies that short calls are answered while more DoGet streams than Flight has threads wait for
   * clients that stopped reading: streams run on a pool of their own, so they cannot hold every thread.
   */
  @Test
  @Timeout(120)
  void shortCallsAnswerWhileStreamsWaitForTheirClients() throws Exception {
    int rows = 6_000_000; // 48 MB of int64: each stream fills its send buffer and waits for the client
    JsonObject overrides = new JsonObject().put("flight", new JsonObject()
        .put("callTimeoutMs", 600_000).put("threads", 2));
    try (TestServer server = new TestServer(dir, 131_072, overrides);
         RootAllocator allocator = new RootAllocator();
         FlightClient client = server.client(allocator)) {
      uploadBig(client, allocator, rows);
      List<FlightStream> paused = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          FlightStream stream = client.getStream(new Ticket("dataset/big@1".getBytes(StandardCharsets.UTF_8)));
          paused.add(stream);
          assertTrue(stream.next());
        }
        // Four streams on a server with two Flight threads: a listing still answers, well before the
        // streams' 10-minute call timeout would have freed a thread.
        List<org.apache.arrow.flight.FlightInfo> listed = new java.util.ArrayList<>();
        client.listFlights(org.apache.arrow.flight.Criteria.ALL,
            org.apache.arrow.flight.CallOptions.timeout(30, java.util.concurrent.TimeUnit.SECONDS)).forEach(listed::add);
        assertEquals(1, listed.size());
        for (FlightStream stream : paused) {
          long count = stream.getRoot().getRowCount();
          while (stream.next()) {
            count += stream.getRoot().getRowCount();
          }
          assertEquals(rows, count);
        }
      } finally {
        for (FlightStream stream : paused) {
          stream.close();
        }
      }
    }
  }

  /** Uploads {@code rows} int64 values 0..rows-1 as the dataset "big", in one batch. */
  private static void uploadBig(FlightClient client, RootAllocator allocator, int rows) throws Exception {
    org.apache.arrow.vector.types.pojo.Schema schema = new org.apache.arrow.vector.types.pojo.Schema(List.of(
        field("v", new org.apache.arrow.vector.types.pojo.ArrowType.Int(64, true))));
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
         org.apache.arrow.flight.SyncPutListener ack = new org.apache.arrow.flight.SyncPutListener()) {
      BigIntVector v = (BigIntVector) root.getVector("v");
      v.allocateNew(rows);
      for (int i = 0; i < rows; i++) {
        v.set(i, i);
      }
      root.setRowCount(rows);
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("datasets", "big"), root, ack);
      put.putNext();
      put.completed();
      put.getResult();
    }
  }

  private static org.apache.arrow.vector.types.pojo.Field field(String name,
      org.apache.arrow.vector.types.pojo.ArrowType type) {
    return new org.apache.arrow.vector.types.pojo.Field(name,
        org.apache.arrow.vector.types.pojo.FieldType.nullable(type), null);
  }
}
