package dev.labelflight.engine.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.analysis.GoldColumn;
import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.devset.DevSetStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifies text search: hits are the LF's votes, pages are exact, accuracy on gold counts what it should. */
class TextSearchTest {
  private static final int ROWS = 3_000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> CLASSES = List.of("HAM", "SPAM");

  @TempDir
  Path dataDir;
  private RootAllocator allocator;
  private DatasetStore datasets;
  private Manifest manifest;
  private TextSearch search;

  @BeforeEach
  void upload() {
    allocator = TestAllocators.root();
    datasets = new DatasetStore(dataDir, 700);
    try (BufferAllocator upload = allocator.newChildAllocator("upload", 0, Long.MAX_VALUE);
         DatasetUpload writer = datasets.beginUpload("reviews", ReviewsGenerator.SCHEMA, upload);
         VectorSchemaRoot batch = new ReviewsGenerator(5).batch(0, ROWS, upload)) {
      writer.append(batch);
      manifest = writer.commit();
    }
    search = new TextSearch(datasets, new LfCompiler(LfLimits.DEFAULT), LfLimits.DEFAULT);
  }

  @AfterEach
  void close() {
    allocator.close();
  }

  /** Verifies that the hit count equals the rows the LF votes on, that pages tile the hits, and that spans mark the keyword. */
  @Test
  void hitsAreTheLfsVotesPageByPage() throws Exception {
    LfSpec lf = spec("{\"name\":\"s\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"free\"],\"wholeWord\":true}");
    ObjectNode first = run(new TextSearch.Query(lf, null, 0, 100), null);
    long matches = first.get("matches").asLong();
    assertEquals(votesOf(lf), matches);
    assertTrue(matches > 100, "enough hits for two pages: " + matches);
    assertEquals((double) matches / ROWS, first.get("coverage").asDouble(), 1e-12);
    ObjectNode second = run(new TextSearch.Query(lf, null, 100, 100), null);
    long lastOfFirst = first.get("hits").get(99).get("row_id").asLong();
    assertTrue(second.get("hits").get(0).get("row_id").asLong() > lastOfFirst, "pages follow each other in row order");
    for (JsonNode hit : first.get("hits")) {
      String text = hit.get("row").get("text").asText();
      JsonNode at = hit.get("spans").get(0).get("at");
      assertEquals("free", text.substring(at.get(0).asInt(), at.get(1).asInt()).toLowerCase());
    }
    assertEquals(0, allocator.getAllocatedMemory());
  }

  /** Verifies accuracy on a gold column and on the dev set: correct over covered gold rows, with a Wilson interval. */
  @Test
  void accuracyOnGold() throws Exception {
    LfSpec lf = spec("{\"name\":\"s\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"https?://\",\"label\":\"SPAM\"}");
    ObjectNode onColumn = run(new TextSearch.Query(lf, CLASSES, 0, 10),
        Gold.column(new GoldColumn("gold", CLASSES, manifest.arrowSchema())));
    JsonNode stats = onColumn.get("gold");
    assertEquals(ROWS, stats.get("labelled").asLong());
    assertEquals(onColumn.get("matches").asLong(), stats.get("covered").asLong());
    assertEquals(stats.get("correct").asDouble() / stats.get("covered").asDouble(), stats.get("accuracy").asDouble(), 1e-12);
    assertTrue(stats.get("low").asDouble() <= stats.get("accuracy").asDouble()
        && stats.get("accuracy").asDouble() <= stats.get("high").asDouble());

    // A dev set of 10 rows the regex hits (7 labelled SPAM) and 5 it misses.
    DevSetStore devSets = new DevSetStore(dataDir);
    Map<Long, String> labels = new HashMap<>();
    JsonNode hits = run(new TextSearch.Query(lf, null, 0, 10), null).get("hits");
    for (int i = 0; i < 10; i++) {
      labels.put(hits.get(i).get("row_id").asLong(), i < 7 ? "SPAM" : "HAM");
    }
    long missed = hits.get(9).get("row_id").asLong() + 1;
    boolean[] votes = votes(lf);
    for (int added = 0; added < 5; missed++) {
      if (!votes[(int) missed]) {
        labels.put(missed, "HAM");
        added++;
      }
    }
    devSets.label("reviews", 1, ROWS, labels, "u");
    JsonNode dev = run(new TextSearch.Query(lf, CLASSES, 0, 10), Gold.dev(devSets.get("reviews", 1).gold(CLASSES))).get("gold");
    assertEquals("@dev", dev.get("name").asText());
    assertEquals(15, dev.get("labelled").asLong());
    assertEquals(10, dev.get("covered").asLong());
    assertEquals(7, dev.get("correct").asLong());
    assertEquals(0.7, dev.get("accuracy").asDouble(), 1e-12);
    double[] wilson = TextSearch.wilson(7, 10);
    assertEquals(0.3968, wilson[0], 1e-3);
    assertEquals(0.8922, wilson[1], 1e-3);
  }

  /** Verifies that kinds other than keyword and regex, unknown columns and bad patterns are refused naming the problem. */
  @Test
  void refusesWhatIsNoTextSearch() throws Exception {
    assertThrows(LabelFlightException.class, () -> new TextSearch.Query(
        spec("{\"name\":\"s\",\"kind\":\"numeric\",\"column\":\"stars\",\"op\":\"<\",\"value\":2}"), null, 0, 10));
    LabelFlightException column = assertThrows(LabelFlightException.class, () -> run(new TextSearch.Query(
        spec("{\"name\":\"s\",\"kind\":\"regex\",\"column\":\"nope\",\"pattern\":\"a\"}"), null, 0, 10), null));
    assertTrue(column.getMessage().contains("unknown column 'nope'"), column.getMessage());
    LabelFlightException pattern = assertThrows(LabelFlightException.class, () -> run(new TextSearch.Query(
        spec("{\"name\":\"s\",\"kind\":\"regex\",\"column\":\"text\",\"pattern\":\"(\"}"), null, 0, 10), null));
    assertTrue(pattern.getMessage().contains("invalid regex"), pattern.getMessage());
    assertEquals(0, allocator.getAllocatedMemory());
  }

  private ObjectNode run(TextSearch.Query query, Gold gold) {
    try (BufferAllocator a = allocator.newChildAllocator("search", 0, Long.MAX_VALUE)) {
      return search.search(query, manifest, gold, a);
    }
  }

  /** Rows the LF votes on, counted by compiling it directly. */
  private long votesOf(LfSpec lf) throws Exception {
    long n = 0;
    for (boolean v : votes(lf)) {
      n += v ? 1 : 0;
    }
    return n;
  }

  private boolean[] votes(LfSpec lf) throws Exception {
    ObjectNode json = lf.json().deepCopy().put("label", "HAM");
    var set = new LfCompiler(LfLimits.DEFAULT).compile(List.of(new LfSpec("s", lf.kind(), json)),
        new dev.labelflight.engine.lf.LabelSpace(CLASSES), manifest.arrowSchema());
    boolean[] out = new boolean[ROWS];
    for (Manifest.Chunk chunk : manifest.chunks()) {
      try (BufferAllocator a = allocator.newChildAllocator("check", 0, Long.MAX_VALUE);
           VectorSchemaRoot data = datasets.readChunk(manifest, chunk.index(), a)) {
        byte[] v = set.evaluate(data)[0];
        for (int r = 0; r < v.length; r++) {
          out[(int) chunk.firstRow() + r] = v[r] >= 0;
        }
      }
    }
    return out;
  }

  private static LfSpec spec(String json) throws Exception {
    return LfSpec.parse(JSON.readTree(json), 0);
  }
}
