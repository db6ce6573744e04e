package dev.labelflight.verticles.browse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lfset.LfSetStore;
import dev.labelflight.engine.memory.LocalMemoryPool;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.testing.ReferenceLabels;
import dev.labelflight.engine.testing.TestAllocators;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.job.JobCoordinator;
import dev.labelflight.verticles.node.NodeResources;
import dev.labelflight.verticles.worker.ChunkWorker;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.Text;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Verifies the browser's bus services against a real Vert.x, real stores in a temp dir and real jobs. */
@ExtendWith(VertxExtension.class)
class BrowseVerticleTest {
  private static final int ROWS = 2_000;
  private static final int CHUNK_ROWS = 500;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> CLASSES = List.of("HAM", "SPAM");

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private RootAllocator allocator;
  private NodeResources node;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx;
    allocator = TestAllocators.root();
    DatasetStore datasets = new DatasetStore(dataDir, CHUNK_ROWS);
    try (BufferAllocator upload = allocator.newChildAllocator("upload", 0, Long.MAX_VALUE);
         DatasetUpload writer = datasets.beginUpload("reviews", ReviewsGenerator.SCHEMA, upload);
         VectorSchemaRoot batch = new ReviewsGenerator(7).batch(0, ROWS, upload)) {
      writer.append(batch);
      writer.commit();
    }
    node = NodeResources.standalone("test", dataDir, datasets, new LocalMemoryPool("test", 64L << 20), allocator,
        new LfLimits(100, 1000, 1000), 60_000);
    await(vertx.deployVerticle(new JobCoordinator(node),
        new DeploymentOptions().setConfig(new io.vertx.core.json.JsonObject().put("retained", 10))));
    await(vertx.deployVerticle(() -> new ChunkWorker(node),
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setInstances(2)));
    await(vertx.deployVerticle(new BrowseVerticle(node, new LfSetStore(dataDir), 10_000),
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
    allocator.close();
  }

  /** Verifies that the dataset list names each dataset with its rows, versions and typed columns. */
  @Test
  void listsDatasets() throws Exception {
    JsonObject reply = request(Addresses.DATASETS, new JsonObject());
    JsonObject reviews = reply.getJsonArray("datasets").getJsonObject(0);
    assertEquals("reviews", reviews.getString("name"));
    assertEquals(ROWS, reviews.getLong("rows"));
    assertEquals(new JsonArray().add(1), reviews.getJsonArray("versions"));
    assertEquals(ROWS / CHUNK_ROWS, reviews.getInteger("chunks"));
    List<String> fields = new ArrayList<>();
    reviews.getJsonArray("fields").forEach(f -> fields.add(((JsonObject) f).getString("name") + ":" + ((JsonObject) f).getString("type")));
    assertEquals(List.of("id:int64", "text:utf8", "stars:int32", "length:int32", "price:float64", "source:utf8", "gold:int32",
        "emb:fixed_size_list<float32>[8]"), fields);
  }

  /** Verifies that a page spanning two chunks returns exactly the requested rows with the stored values. */
  @Test
  void pagesAcrossChunks() throws Exception {
    JsonObject page = request(Addresses.SAMPLE, new JsonObject().put("dataset", "reviews").put("offset", 450).put("limit", 100));
    JsonArray rows = page.getJsonArray("rows");
    assertEquals(100, rows.size());
    assertEquals(ROWS, page.getLong("total"));
    List<Object> texts = column("text");
    for (int i = 0; i < rows.size(); i++) {
      JsonObject row = rows.getJsonObject(i);
      assertEquals(450L + i, row.getLong("_row"));
      assertEquals(450L + i, row.getLong("id"));
      assertEquals(texts.get(450 + i) == null ? null : texts.get(450 + i).toString(), row.getString("text"));
    }
    JsonObject end = request(Addresses.SAMPLE, new JsonObject().put("dataset", "reviews").put("offset", ROWS + 10));
    assertTrue(end.getJsonArray("rows").isEmpty());
    assertEquals(0, node.memoryPool().reservedBytes());
  }

  /** Verifies that bad sample requests get failure replies naming the problem. */
  @Test
  void refusesBadSampleRequests() {
    assertFailure(404, "not found", Addresses.SAMPLE, new JsonObject().put("dataset", "nope"));
    assertFailure(400, "'limit' must be between 1 and 200", Addresses.SAMPLE,
        new JsonObject().put("dataset", "reviews").put("limit", 201));
    assertFailure(400, "'offset' must be >= 0", Addresses.SAMPLE, new JsonObject().put("dataset", "reviews").put("offset", -1));
    assertFailure(400, "is invalid", Addresses.SAMPLE, new JsonObject().put("dataset", "../etc"));
    assertFailure(400, "'dataset' must be a non-empty string", Addresses.SAMPLE, new JsonObject());
    assertFailure(404, "has no version 9", Addresses.SAMPLE, new JsonObject().put("dataset", "reviews").put("version", 9));
  }

  /** Verifies that an LF set is saved per dataset, read back as saved, and survives a new store on the same directory. */
  @Test
  void savesLfSets() throws Exception {
    assertNull(request(Addresses.LFSETS_GET, new JsonObject().put("dataset", "reviews")).getValue("set"));
    JsonObject set = new JsonObject().put("labels", new JsonArray().add("HAM").add("SPAM")).put("gold", "gold")
        .put("lfs", new JsonArray().add(new JsonObject().put("name", "kw").put("kind", "keyword").put("column", "text")
            .put("keywords", new JsonArray().add("free")).put("label", "SPAM")));
    JsonObject saved = request(Addresses.LFSETS_PUT, new JsonObject().put("dataset", "reviews").put("set", set)).getJsonObject("set");
    assertTrue(saved.containsKey("saved"));
    JsonObject read = request(Addresses.LFSETS_GET, new JsonObject().put("dataset", "reviews")).getJsonObject("set");
    assertEquals(set.getJsonArray("lfs"), read.getJsonArray("lfs"));
    assertEquals("gold", read.getString("gold"));
    assertEquals(set.getJsonArray("lfs").encode(),
        new LfSetStore(dataDir).get("reviews").orElseThrow().get("lfs").toString());
  }

  /** Verifies that malformed, oversized or misplaced LF sets are refused and leave the saved set alone. */
  @Test
  void refusesMalformedLfSets() throws Exception {
    JsonObject good = new JsonObject().put("labels", new JsonArray().add("A")).put("lfs", new JsonArray());
    request(Addresses.LFSETS_PUT, new JsonObject().put("dataset", "reviews").put("set", good));
    assertFailure(400, "'lfs' must be a list", Addresses.LFSETS_PUT,
        new JsonObject().put("dataset", "reviews").put("set", new JsonObject().put("labels", new JsonArray().add("A")).put("lfs", "x")));
    JsonObject lf = new JsonObject().put("name", "same").put("kind", "regex");
    assertFailure(400, "two LFs named 'same'", Addresses.LFSETS_PUT, new JsonObject().put("dataset", "reviews")
        .put("set", good.copy().put("lfs", new JsonArray().add(lf).add(lf))));
    assertFailure(400, "has no 'name'", Addresses.LFSETS_PUT, new JsonObject().put("dataset", "reviews")
        .put("set", good.copy().put("lfs", new JsonArray().add(new JsonObject().put("kind", "regex")))));
    assertFailure(400, "unknown field 'evil'", Addresses.LFSETS_PUT,
        new JsonObject().put("dataset", "reviews").put("set", good.copy().put("evil", 1)));
    assertFailure(400, "malformed JSON", Addresses.LFSETS_PUT, new JsonObject().put("dataset", "reviews").put("set", "{not json"));
    assertFailure(400, "must be a JSON object", Addresses.LFSETS_PUT, new JsonObject().put("dataset", "reviews").put("set", 5));
    assertFailure(400, "larger than", Addresses.LFSETS_PUT, new JsonObject().put("dataset", "reviews")
        .put("set", good.copy().put("lfs", new JsonArray().add(new JsonObject().put("name", "big").put("kind", "regex")
            .put("pattern", "x".repeat(LfSetStore.MAX_BYTES))))));
    assertFailure(400, "is invalid", Addresses.LFSETS_GET, new JsonObject().put("dataset", "a/../../b"));
    assertEquals(new JsonArray().add("A"),
        request(Addresses.LFSETS_GET, new JsonObject().put("dataset", "reviews")).getJsonObject("set").getJsonArray("labels"));
  }

  /** Verifies that examples and class coverage of a finished job agree with LF votes computed independently. */
  @Test
  void findsExamplesAndCoverage() throws Exception {
    JsonObject keyword = new JsonObject().put("name", "kw").put("kind", "keyword").put("column", "text")
        .put("keywords", new JsonArray().add("free")).put("caseSensitive", false).put("label", "SPAM");
    JsonObject lowStars = new JsonObject().put("name", "low").put("kind", "numeric").put("column", "stars")
        .put("op", "<").put("value", 3).put("label", "HAM");
    String job = runJob(List.of(keyword, lowStars));

    List<Object> texts = column("text");
    List<Object> stars = column("stars");
    JsonNode kw = JSON.readTree(keyword.encode());
    JsonNode low = JSON.readTree(lowStars.encode());
    long fires = 0;
    long conflicts = 0;
    long[] perClass = new long[2];
    long covered = 0;
    for (int i = 0; i < ROWS; i++) {
      int a = ReferenceLabels.label(kw, texts.get(i) == null ? null : texts.get(i).toString(), CLASSES);
      int b = ReferenceLabels.label(low, stars.get(i), CLASSES);
      fires += a >= 0 ? 1 : 0;
      conflicts += a >= 0 && b >= 0 && a != b ? 1 : 0;
      if (a >= 0) {
        perClass[a]++;
      }
      if (b >= 0 && b != a) {
        perClass[b]++;
      }
      covered += a >= 0 || b >= 0 ? 1 : 0;
    }
    assertTrue(fires > 0 && conflicts > 0, "fixture must have firing and conflicting rows");

    JsonObject firing = request(Addresses.EXAMPLES, new JsonObject().put("job", job).put("lf", "kw").put("limit", 7));
    assertEquals(fires, firing.getLong("matches"));
    assertEquals(7, firing.getJsonArray("examples").size());
    for (Object o : firing.getJsonArray("examples")) {
      JsonObject example = (JsonObject) o;
      assertEquals(1, example.getJsonObject("votes").getInteger("kw"));
      assertTrue(example.getJsonObject("row").getString("text").toLowerCase().contains("free"));
      assertEquals(example.getLong("row_id"), example.getJsonObject("row").getLong("id"));
    }
    JsonObject conflicting = request(Addresses.EXAMPLES,
        new JsonObject().put("job", job).put("lf", "kw").put("other", "low").put("limit", 100));
    assertEquals(conflicts, conflicting.getLong("matches"));
    for (Object o : conflicting.getJsonArray("examples")) {
      JsonObject example = (JsonObject) o;
      assertTrue(example.getJsonObject("row").getInteger("stars") < 3);
      assertEquals(0, example.getJsonObject("votes").getInteger("low"));
    }
    JsonObject coverage = request(Addresses.COVERAGE, new JsonObject().put("job", job).put("classes", 2));
    assertEquals(ROWS, coverage.getLong("rows"));
    assertEquals(new JsonArray().add(perClass[0]).add(perClass[1]), coverage.getJsonArray("perClass"));
    assertEquals(covered, coverage.getLong("covered"));
    assertEquals(conflicts, coverage.getLong("conflicted"));
    assertEquals(0, node.memoryPool().reservedBytes());
  }

  /** Verifies that example and coverage requests naming unknown jobs or LFs, or out-of-range limits, fail clearly. */
  @Test
  void refusesBadExampleRequests() throws Exception {
    String job = runJob(List.of(new JsonObject().put("name", "kw").put("kind", "keyword").put("column", "text")
        .put("keywords", new JsonArray().add("free")).put("label", "SPAM")));
    assertFailure(404, "job 'deadbeef' not found", Addresses.EXAMPLES, new JsonObject().put("job", "deadbeef").put("lf", "kw"));
    assertFailure(400, "is not a job id", Addresses.EXAMPLES, new JsonObject().put("job", "../x").put("lf", "kw"));
    assertFailure(404, "LF 'nope' is not part of this job", Addresses.EXAMPLES, new JsonObject().put("job", job).put("lf", "nope"));
    assertFailure(400, "'limit' must be between 1 and 100", Addresses.EXAMPLES,
        new JsonObject().put("job", job).put("lf", "kw").put("limit", 101));
    assertFailure(400, "different LF", Addresses.EXAMPLES, new JsonObject().put("job", job).put("lf", "kw").put("other", "kw"));
    assertFailure(400, "'classes' must be between 1 and 1000", Addresses.COVERAGE, new JsonObject().put("job", job));
    assertFailure(400, "request body must be a JSON object", Addresses.COVERAGE, 42);
  }

  private String runJob(List<JsonObject> lfs) throws Exception {
    // Queue mode: no resident copy holds budget afterwards, so the test can see that browsing frees all it takes.
    JsonObject body = new JsonObject().put("dataset", "reviews").put("labels", new JsonArray(CLASSES))
        .put("lfs", new JsonArray(new ArrayList<>(lfs))).put("mode", "queue");
    String job = request(Addresses.APPLY, body.encode()).getString("job");
    JsonObject progress;
    do {
      progress = request(Addresses.AWAIT_PROGRESS, new JsonObject().put("job", job).put("after", ROWS / CHUNK_ROWS - 1));
    } while ("RUNNING".equals(progress.getString("state")));
    assertEquals("SUCCEEDED", progress.getString("state"), progress.encode());
    return job;
  }

  /** One column of the stored dataset, read directly from the store. */
  private List<Object> column(String name) {
    List<Object> values = new ArrayList<>();
    Manifest manifest = node.datasets().manifest("reviews", null);
    for (int c = 0; c < manifest.chunks().size(); c++) {
      try (VectorSchemaRoot root = node.datasets().readChunk(manifest, c, allocator)) {
        FieldVector vector = root.getVector(name);
        for (int i = 0; i < root.getRowCount(); i++) {
          Object v = vector.getObject(i);
          values.add(v instanceof Text t ? t.toString() : v);
        }
      }
    }
    return values;
  }

  private JsonObject request(String address, Object body) throws Exception {
    Message<JsonObject> reply = await(vertx.eventBus().request(address, body));
    return reply.body();
  }

  private void assertFailure(int code, String text, String address, Object body) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> request(address, body));
    ReplyException reply = (ReplyException) e.getCause();
    assertEquals(code, reply.failureCode(), reply.getMessage());
    assertTrue(reply.getMessage().contains(text), reply.getMessage());
    assertFalse(reply.getMessage().isBlank());
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
