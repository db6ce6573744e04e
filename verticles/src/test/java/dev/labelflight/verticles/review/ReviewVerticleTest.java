package dev.labelflight.verticles.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.devset.DevSetStore;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lfset.LfSetStore;
import dev.labelflight.engine.memory.LocalMemoryPool;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.testing.ReferenceLabels;
import dev.labelflight.engine.testing.TestAllocators;
import dev.labelflight.verticles.browse.BrowseVerticle;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.Caller;
import dev.labelflight.verticles.job.JobCoordinator;
import dev.labelflight.verticles.labelmodel.LabelModelVerticle;
import dev.labelflight.verticles.node.NodeResources;
import dev.labelflight.verticles.worker.ChunkWorker;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
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

/**
 * Verifies the review services against a real Vert.x, real stores and real jobs: every view's count and page
 * equal an independent row-by-row computation, spans mark what the LFs matched, the dev set is gold for
 * reviews and analysis, and nothing is served to another user.
 */
@ExtendWith(VertxExtension.class)
class ReviewVerticleTest {
  private static final int ROWS = 2_000;
  private static final int CHUNK_ROWS = 500;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> CLASSES = List.of("HAM", "SPAM");
  private static final JsonObject KEYWORD = new JsonObject().put("name", "kw").put("kind", "keyword").put("column", "text")
      .put("keywords", new JsonArray().add("free").add("winner")).put("label", "SPAM");
  private static final JsonObject LOW = new JsonObject().put("name", "low").put("kind", "numeric").put("column", "stars")
      .put("op", "<").put("value", 3).put("label", "HAM");
  private static final JsonObject URL = new JsonObject().put("name", "url").put("kind", "regex").put("column", "text")
      .put("pattern", "https?://").put("label", "SPAM");

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private RootAllocator allocator;
  private NodeResources node;
  private String job;
  private int[][] votes;
  private int[] gold;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx;
    allocator = TestAllocators.root();
    DatasetStore datasets = new DatasetStore(dataDir, CHUNK_ROWS);
    try (BufferAllocator upload = allocator.newChildAllocator("upload", 0, Long.MAX_VALUE);
         DatasetUpload writer = datasets.beginUpload("alice~reviews", ReviewsGenerator.SCHEMA, upload);
         VectorSchemaRoot batch = new ReviewsGenerator(7).batch(0, ROWS, upload)) {
      writer.append(batch);
      writer.commit();
    }
    node = NodeResources.standalone("test", dataDir, datasets, new LocalMemoryPool("test", 64L << 20), allocator,
        new LfLimits(100, 1000, 1000), 60_000);
    await(vertx.deployVerticle(new JobCoordinator(node)));
    await(vertx.deployVerticle(() -> new ChunkWorker(node),
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setInstances(2)));
    await(vertx.deployVerticle(new BrowseVerticle(node, new LfSetStore(dataDir), 10_000),
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
    await(vertx.deployVerticle(new LabelModelVerticle(node, 10_000),
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
    await(vertx.deployVerticle(new ReviewVerticle(node, new DevSetStore(dataDir), new ModelLookup(vertx, 10_000), 10_000),
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
    job = runJob(List.of(KEYWORD, LOW, URL));
    List<Object> texts = column("text");
    List<Object> stars = column("stars");
    List<Object> golds = column("gold");
    votes = new int[ROWS][3];
    gold = new int[ROWS];
    JsonNode[] lfs = {JSON.readTree(KEYWORD.encode()), JSON.readTree(LOW.encode()), JSON.readTree(URL.encode())};
    for (int i = 0; i < ROWS; i++) {
      votes[i][0] = ReferenceLabels.label(lfs[0], texts.get(i), CLASSES);
      votes[i][1] = ReferenceLabels.label(lfs[1], stars.get(i), CLASSES);
      votes[i][2] = ReferenceLabels.label(lfs[2], texts.get(i), CLASSES);
      gold[i] = ((Number) golds.get(i)).intValue();
    }
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
    allocator.close();
  }

  /** Verifies each view's total and its pages against the rows computed independently, with votes, gold and spans. */
  @Test
  void viewsListExactlyTheirRows() throws Exception {
    List<Integer> lowWrong = new ArrayList<>();
    List<Integer> uncoveredSpam = new ArrayList<>();
    List<Integer> conflicts = new ArrayList<>();
    List<Integer> kwConflicts = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      int[] v = votes[i];
      if (v[1] >= 0 && v[1] != gold[i]) {
        lowWrong.add(i);
      }
      if (v[0] < 0 && v[1] < 0 && v[2] < 0 && gold[i] == 1) {
        uncoveredSpam.add(i);
      }
      boolean conflict = (v[1] >= 0 && (v[0] >= 0 || v[2] >= 0)); // low votes HAM, kw and url SPAM
      if (conflict) {
        conflicts.add(i);
        if (v[0] >= 0) {
          kwConflicts.add(i);
        }
      }
    }
    assertTrue(lowWrong.size() > 40 && !uncoveredSpam.isEmpty() && kwConflicts.size() > 5, "fixture has rows for every view");

    JsonObject page = review(new JsonObject().put("view", "lf-wrong").put("lf", "low").put("gold", "gold").put("limit", 20));
    assertEquals(lowWrong.size(), page.getLong("total"));
    assertEquals(lowWrong.subList(0, 20), rowIds(page));
    JsonObject second = review(new JsonObject().put("view", "lf-wrong").put("lf", "low").put("gold", "gold")
        .put("offset", 20).put("limit", 20));
    assertEquals(lowWrong.subList(20, 40), rowIds(second));
    for (Object o : page.getJsonArray("rows")) {
      JsonObject row = (JsonObject) o;
      assertEquals(0, row.getJsonObject("votes").getInteger("low"));
      assertEquals(1, row.getInteger("gold"));
      assertEquals(row.getLong("row_id"), row.getJsonObject("row").getLong("id"));
    }
    JsonObject onlySpam = review(new JsonObject().put("view", "uncovered").put("gold", "gold").put("class", "SPAM"));
    assertEquals(uncoveredSpam.size(), onlySpam.getLong("total"));
    JsonObject all = review(new JsonObject().put("view", "conflicts").put("limit", 100));
    assertEquals(conflicts.size(), all.getLong("total"));
    JsonObject withKw = review(new JsonObject().put("view", "conflicts").put("lf", "kw").put("limit", 100));
    assertEquals(kwConflicts.size(), withKw.getLong("total"));
    assertEquals(kwConflicts.subList(0, Math.min(100, kwConflicts.size())), rowIds(withKw));
    for (Object o : withKw.getJsonArray("rows")) {
      JsonObject row = (JsonObject) o;
      String text = row.getJsonObject("row").getString("text");
      JsonObject spans = row.getJsonArray("spans").stream().map(JsonObject.class::cast)
          .filter(s -> s.getString("lf").equals("kw")).findFirst().orElseThrow();
      JsonArray at = spans.getJsonArray("at");
      String matched = text.substring(at.getInteger(0), at.getInteger(1)).toLowerCase();
      assertTrue(matched.equals("free") || matched.equals("winner"), matched);
    }
    assertEquals(0, node.memoryPool().reservedBytes());
  }

  /** Verifies the model-wrong view and the confidence filter against majority vote computed by hand. */
  @Test
  void modelWrongMatchesMajorityVote() throws Exception {
    String model = request(Addresses.FIT_LABEL_MODEL, new JsonObject().put("job", job).put("model", "majority"), "alice")
        .getString("model");
    long wrong = 0;
    long confidentWrong = 0;
    for (int i = 0; i < ROWS; i++) {
      int[] count = new int[2];
      for (int v : votes[i]) {
        if (v >= 0) {
          count[v]++;
        }
      }
      int predicted = count[0] == count[1] ? -1 : count[0] > count[1] ? 0 : 1;
      if (predicted != gold[i]) {
        wrong++;
        // Majority vote's probability of the top class: 1 when every vote agrees.
        if (predicted >= 0 && count[1 - predicted] == 0) {
          confidentWrong++;
        }
      }
    }
    JsonObject page = review(new JsonObject().put("view", "model-wrong").put("gold", "gold").put("model", model));
    assertEquals(wrong, page.getLong("total"));
    JsonObject confident = review(new JsonObject().put("view", "model-wrong").put("gold", "gold").put("model", model)
        .put("minConfidence", 0.99));
    assertEquals(confidentWrong, confident.getLong("total"));
    for (Object o : confident.getJsonArray("rows")) {
      assertTrue(((JsonObject) o).getDouble("confidence") >= 0.99);
    }
    assertFailure(400, "needs 'model'", Addresses.REVIEW_ROWS,
        new JsonObject().put("job", job).put("view", "model-wrong").put("gold", "gold"), "alice");
    assertFailure(404, "not found", Addresses.REVIEW_ROWS, new JsonObject().put("job", job).put("view", "model-wrong")
        .put("gold", "gold").put("model", "nope"), "alice");
  }

  /**
   * Verifies that hand labels saved through the bus are the dev set: review against "@dev" reads only its rows,
   * analysis with "@dev" counts exactly them, and search reports accuracy on them.
   */
  @Test
  void devSetIsGold() throws Exception {
    JsonObject next = request(Addresses.DEVSET_NEXT, new JsonObject().put("dataset", "reviews"), "alice");
    long first = next.getLong("row_id");
    assertEquals(first, next.getJsonObject("row").getLong("_row"));
    JsonArray labels = new JsonArray();
    List<Integer> rows = new ArrayList<>();
    for (long p = 0; rows.size() < 30; p++) {
      int row = (int) dev.labelflight.engine.devset.RowShuffle.rowAt(p, ROWS);
      rows.add(row);
      labels.add(new JsonArray().add(row).add(CLASSES.get(gold[row])));
    }
    JsonObject saved = request(Addresses.DEVSET_PUT, new JsonObject().put("dataset", "reviews").put("version", 1)
        .put("labels", labels), "alice");
    assertEquals(30, saved.getInteger("count"));
    assertEquals("alice", saved.getString("user"));
    JsonObject after = request(Addresses.DEVSET_NEXT, new JsonObject().put("dataset", "reviews"), "alice");
    assertEquals(30, after.getLong("position"), "the next row to label comes after the 30 labelled");

    long lowWrong = rows.stream().filter(i -> votes[i][1] >= 0 && votes[i][1] != gold[i]).count();
    long lowCorrect = rows.stream().filter(i -> votes[i][1] >= 0 && votes[i][1] == gold[i]).count();
    JsonObject onDev = review(new JsonObject().put("view", "lf-wrong").put("lf", "low").put("gold", "@dev").put("limit", 100));
    assertEquals(lowWrong, onDev.getLong("total"));
    rowIds(onDev).forEach(r -> assertTrue(rows.contains(r)));

    JsonObject analysis = request(Addresses.ANALYSIS, new JsonObject().put("job", job).put("gold", "@dev"), "alice");
    assertEquals(30, analysis.getLong("rows"));
    JsonObject low = analysis.getJsonArray("lfs").getJsonObject(1);
    assertEquals(lowCorrect, low.getLong("correct"));
    assertEquals(lowWrong, low.getLong("incorrect"));

    JsonObject search = request(Addresses.SEARCH, new JsonObject().put("dataset", "reviews")
        .put("lf", new JsonObject().put("kind", "regex").put("column", "text").put("pattern", "https?://").put("label", "SPAM"))
        .put("labels", new JsonArray(CLASSES)).put("gold", "@dev"), "alice");
    long urlCovered = rows.stream().filter(i -> votes[i][2] >= 0).count();
    assertEquals(30, search.getJsonObject("gold").getLong("labelled"));
    assertEquals(urlCovered, search.getJsonObject("gold").getLong("covered"));
    assertEquals(0, node.memoryPool().reservedBytes());
  }

  /** Verifies that another user can neither review alice's job nor read, write or search her dataset. */
  @Test
  void anotherUserSeesNothing() {
    assertFailure(404, "job '" + job + "' not found", Addresses.REVIEW_ROWS,
        new JsonObject().put("job", job).put("view", "conflicts"), "bob");
    assertFailure(404, "dataset 'reviews' not found", Addresses.DEVSET_GET, new JsonObject().put("dataset", "reviews"), "bob");
    assertFailure(404, "dataset 'reviews' not found", Addresses.DEVSET_PUT, new JsonObject().put("dataset", "reviews")
        .put("version", 1).put("labels", new JsonArray().add(new JsonArray().add(1).add("HAM"))), "bob");
    assertFailure(404, "dataset 'reviews' not found", Addresses.SEARCH, new JsonObject().put("dataset", "reviews")
        .put("lf", new JsonObject().put("kind", "keyword").put("column", "text").put("keywords", new JsonArray().add("a"))), "bob");
    assertFailure(400, "'view' must be one of", Addresses.REVIEW_ROWS, new JsonObject().put("job", job).put("view", "x"), "alice");
    assertFailure(400, "row 5000 is not a row", Addresses.DEVSET_PUT, new JsonObject().put("dataset", "reviews")
        .put("version", 1).put("labels", new JsonArray().add(new JsonArray().add(5000).add("HAM"))), "alice");
  }

  private JsonObject review(JsonObject query) throws Exception {
    return request(Addresses.REVIEW_ROWS, query.put("job", job), "alice");
  }

  private static List<Integer> rowIds(JsonObject page) {
    return page.getJsonArray("rows").stream().map(o -> ((JsonObject) o).getInteger("row_id")).toList();
  }

  private String runJob(List<JsonObject> lfs) throws Exception {
    JsonObject body = new JsonObject().put("dataset", "reviews").put("labels", new JsonArray(CLASSES))
        .put("lfs", new JsonArray(new ArrayList<>(lfs))).put("mode", "queue");
    String id = request(Addresses.APPLY, body.encode(), "alice").getString("job");
    JsonObject progress;
    do {
      progress = request(Addresses.AWAIT_PROGRESS, new JsonObject().put("job", id).put("after", ROWS / CHUNK_ROWS - 1), "alice");
    } while ("RUNNING".equals(progress.getString("state")));
    assertEquals("SUCCEEDED", progress.getString("state"), progress.encode());
    return id;
  }

  private List<Object> column(String name) {
    List<Object> values = new ArrayList<>();
    Manifest manifest = node.datasets().manifest("alice~reviews", null);
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

  private JsonObject request(String address, Object body, String user) throws Exception {
    Message<JsonObject> reply = await(vertx.eventBus().request(address, body,
        Caller.stamp(new DeliveryOptions().setSendTimeout(20_000), user)));
    return reply.body();
  }

  private void assertFailure(int code, String text, String address, Object body, String user) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> request(address, body, user));
    ReplyException reply = (ReplyException) e.getCause();
    assertEquals(code, reply.failureCode(), reply.getMessage());
    assertTrue(reply.getMessage().contains(text), reply.getMessage());
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
