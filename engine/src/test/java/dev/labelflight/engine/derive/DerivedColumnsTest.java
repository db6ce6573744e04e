package dev.labelflight.engine.derive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.cache.LabelCache;
import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.memory.LocalMemoryPool;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DerivedColumnsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Schema SCHEMA = new Schema(List.of(
      new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
      new Field("text", FieldType.nullable(new ArrowType.Utf8()), null),
      new Field("n", FieldType.notNullable(new ArrowType.Int(32, true)), null)));
  static final String[] PIECES = {"Free", "MONEY", "now", "été", "ÉCOLE", "İstanbul", "ΟΔΟΣ", "order #", "42", "x9",
      "call 555-0199", "https://a.example/p", " ", "  ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "😀", "ß", "Straße"};
  static final int ROWS = 700;
  static final int CHUNK_ROWS = 256;

  @TempDir Path dir;

  /** Row i's text: null for every 13th row, else a few pieces from a fixed-seed draw. */
  static String[] texts() {
    SplittableRandom r = new SplittableRandom(20261125);
    String[] out = new String[ROWS];
    for (int i = 0; i < ROWS; i++) {
      if (i % 13 == 5) {
        continue;
      }
      StringBuilder s = new StringBuilder();
      int n = r.nextInt(7);
      for (int k = 0; k < n; k++) {
        s.append(PIECES[r.nextInt(PIECES.length)]).append(r.nextInt(3) == 0 ? "" : " ");
      }
      out[i] = s.toString();
    }
    return out;
  }

  static Manifest upload(DatasetStore store, RootAllocator allocator, String[] texts) {
    try (DatasetUpload upload = store.beginUpload("d", SCHEMA, allocator);
         VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
      root.allocateNew();
      for (int i = 0; i < texts.length; i++) {
        ((org.apache.arrow.vector.BigIntVector) root.getVector(0)).setSafe(i, i);
        if (texts[i] != null) {
          ((VarCharVector) root.getVector(1)).setSafe(i, texts[i].getBytes(StandardCharsets.UTF_8));
        }
        ((IntVector) root.getVector(2)).setSafe(i, i % 5);
      }
      root.setRowCount(texts.length);
      upload.append(root);
      return upload.commit();
    }
  }

  static DeriveRequest request(String json) {
    return DeriveRequest.parse(json);
  }

  /** Python's str.split(): runs of characters that are not whitespace in Python's sense. */
  static int pythonTokens(String s) {
    int tokens = 0;
    boolean in = false;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      boolean space = Derivation.TokenCount.isSpace(cp);
      tokens += !space && !in ? 1 : 0;
      in = !space;
      i += Character.charCount(cp);
    }
    return tokens;
  }

  static Object expected(String kind, String pattern, String s) {
    if (s == null) {
      return null;
    }
    return switch (kind) {
      case "lowercase" -> s.toLowerCase(Locale.ROOT);
      case "length" -> s.codePointCount(0, s.length());
      case "token_count" -> pythonTokens(s);
      default -> {
        var m = java.util.regex.Pattern.compile(pattern).matcher(s);
        yield m.find() ? m.group(1) : null;
      }
    };
  }

  /**
   * Verifies that each kind, stored chunk by chunk and read back through the checksummed files, gives
   * per row what the same operation on Java strings gives (nulls stay null, unicode case mapping and
   * whitespace as Python's), that the schema lists the derived columns with their definition, and that
   * the chunks' memory went back to the budget.
   */
  @Test
  void eachKindMatchesAReferenceRowByRow() {
    String[] texts = texts();
    try (RootAllocator allocator = TestAllocators.root()) {
      DatasetStore store = new DatasetStore(dir, CHUNK_ROWS);
      Manifest m = upload(store, allocator, texts);
      DerivedColumnStore derived = new DerivedColumnStore(store);
      LocalMemoryPool budget = new LocalMemoryPool("test", 256L << 20);
      String[][] kinds = {{"low", "lowercase", null}, {"len", "length", null}, {"toks", "token_count", null},
          {"num", "regex_extract", "([0-9]+)"}};
      for (String[] k : kinds) {
        String body = "{\"dataset\":\"d\",\"name\":\"" + k[0] + "\",\"kind\":\"" + k[1] + "\",\"column\":\"text\""
            + (k[2] == null ? "" : ",\"pattern\":\"" + k[2] + "\"") + "}";
        DerivedColumnStore.Derived done = derived.derive(request(body), budget, allocator, 1.0);
        assertTrue(done.created());
        assertEquals(0, budget.reservedBytes(), "every chunk's reservation is freed");
      }
      List<DerivedColumn> columns = derived.columns(m);
      assertEquals(List.of("low", "len", "toks", "num"), columns.stream().map(DerivedColumn::name).toList());
      Schema schema = derived.schema(m);
      assertEquals(7, schema.getFields().size());
      assertEquals("regex_extract", schema.findField("num").getMetadata().get(DerivedColumn.META_KIND));
      assertEquals(new ArrowType.Int(32, true), schema.findField("toks").getType());
      // The browser's dataset list and row pages show them too.
      var listed = new dev.labelflight.engine.browse.DatasetCatalog(store).list().get("datasets").get(0).get("fields");
      assertEquals("toks", listed.get(5).get("name").asText());
      var page = new dev.labelflight.engine.browse.RowSampler(store).page(m, 250, 10, allocator);
      assertEquals(texts[253].toLowerCase(Locale.ROOT), page.get("rows").get(3).get("low").asText());
      assertEquals(texts[253].codePointCount(0, texts[253].length()), page.get("rows").get(3).get("len").asInt());
      for (int c = 0; c < m.chunks().size(); c++) {
        Manifest.Chunk chunk = m.chunk(c);
        try (VectorSchemaRoot root = derived.readChunk(m, columns, c, allocator)) {
          for (String[] k : kinds) {
            FieldVector v = root.getVector(k[0]);
            for (int i = 0; i < chunk.rows(); i++) {
              Object want = expected(k[1], k[2], texts[(int) chunk.firstRow() + i]);
              Object got = v.isNull(i) ? null : v instanceof VarCharVector t
                  ? new String(t.get(i), StandardCharsets.UTF_8) : ((IntVector) v).get(i);
              assertEquals(want, got, k[1] + " of row " + (chunk.firstRow() + i) + ": "
                  + texts[(int) chunk.firstRow() + i]);
            }
          }
        }
      }
    }
  }

  /**
   * Verifies that an unknown kind, a name taken by a dataset column, a missing or non-text source, a bad
   * or misplaced pattern, a name that is not an identifier, and another definition under an existing name
   * without replace are INVALID_ARGUMENT with a message; that the same definition again is a no-op; that
   * a corrupt chunk mid-way leaves nothing behind; and that a corrupt derived file is detected on read.
   */
  @Test
  void badInputAndFailuresLeaveNothingHalfWritten() throws Exception {
    try (RootAllocator allocator = TestAllocators.root()) {
      DatasetStore store = new DatasetStore(dir, CHUNK_ROWS);
      Manifest m = upload(store, allocator, texts());
      DerivedColumnStore derived = new DerivedColumnStore(store);
      LocalMemoryPool budget = new LocalMemoryPool("test", 256L << 20);
      String[][] bad = {
          {"{\"dataset\":\"d\",\"name\":\"x\",\"kind\":\"upper\",\"column\":\"text\"}", "unknown derivation kind 'upper'"},
          {"{\"dataset\":\"d\",\"name\":\"n\",\"kind\":\"lowercase\",\"column\":\"text\"}", "'n' is already a column"},
          {"{\"dataset\":\"d\",\"name\":\"x\",\"kind\":\"lowercase\",\"column\":\"body\"}", "unknown source column 'body'"},
          {"{\"dataset\":\"d\",\"name\":\"x\",\"kind\":\"length\",\"column\":\"n\"}", "derivations read text"},
          {"{\"dataset\":\"d\",\"name\":\"x\",\"kind\":\"regex_extract\",\"column\":\"text\",\"pattern\":\"(a\"}", "invalid regex"},
          {"{\"dataset\":\"d\",\"name\":\"x\",\"kind\":\"regex_extract\",\"column\":\"text\"}", "needs a non-empty 'pattern'"},
          {"{\"dataset\":\"d\",\"name\":\"x\",\"kind\":\"length\",\"column\":\"text\",\"pattern\":\"a\"}", "only for kind regex_extract"},
          {"{\"dataset\":\"d\",\"name\":\"bad name\",\"kind\":\"length\",\"column\":\"text\"}", "must be an identifier"},
          {"{\"dataset\":\"d\",\"name\":\"x\",\"kind\":\"length\",\"column\":\"text\",\"colour\":1}", "unknown field 'colour'"},
      };
      for (String[] b : bad) {
        LabelFlightException e = assertThrows(LabelFlightException.class,
            () -> derived.derive(request(b[0]), budget, allocator, 1.0), b[0]);
        assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind(), b[0]);
        assertTrue(e.getMessage().contains(b[1]), e.getMessage());
      }
      DerivedColumn first = derived.derive(request("{\"dataset\":\"d\",\"name\":\"x\",\"kind\":\"length\",\"column\":\"text\"}"),
          budget, allocator, 1.0).column();
      assertFalse(derived.derive(request("{\"dataset\":\"d\",\"name\":\"x\",\"kind\":\"length\",\"column\":\"text\"}"),
          budget, allocator, 1.0).created(), "the same definition is not computed again");
      LabelFlightException clash = assertThrows(LabelFlightException.class, () -> derived.derive(
          request("{\"dataset\":\"d\",\"name\":\"x\",\"kind\":\"token_count\",\"column\":\"text\"}"), budget, allocator, 1.0));
      assertTrue(clash.getMessage().contains("replace"), clash.getMessage());

      // A corrupt dataset chunk in the middle fails the derive: no new column, no files left.
      Path versionDir = store.versionDir("d", m.version());
      Path chunk1 = versionDir.resolve(m.chunk(1).file());
      byte[] good = Files.readAllBytes(chunk1);
      byte[] broken = good.clone();
      broken[broken.length / 2] ^= 0x55;
      Files.write(chunk1, broken);
      assertThrows(CorruptDataException.class, () -> derived.derive(
          request("{\"dataset\":\"d\",\"name\":\"y\",\"kind\":\"lowercase\",\"column\":\"text\"}"), budget, allocator, 1.0));
      Files.write(chunk1, good);
      assertEquals(List.of("x"), derived.columns(m).stream().map(DerivedColumn::name).toList());
      try (Stream<Path> entries = Files.list(versionDir.resolve("derived"))) {
        assertEquals(List.of("derived.json", first.dir()), entries.map(p -> p.getFileName().toString()).sorted().toList(),
            "only the manifest and the committed column remain");
      }
      assertEquals(0, budget.reservedBytes());

      // A flipped byte in a derived file is caught by its checksum.
      Path file = versionDir.resolve("derived").resolve(first.dir()).resolve(first.chunks().get(2).file());
      byte[] bytes = Files.readAllBytes(file);
      bytes[bytes.length / 2] ^= 0x55;
      Files.write(file, bytes);
      assertThrows(CorruptDataException.class, () -> derived.read(m, first, 2, allocator).close());
    }
  }

  static LfSpec spec(String json, int i) throws Exception {
    return LfSpec.parse(JSON.readTree(json), i);
  }

  /**
   * Verifies that LFs read derived columns as ordinary columns (keyword, numeric, expression), on disk
   * and resident chunks alike, with the labels a reference computes from the text; and that after the
   * column is redefined (replace) the same LF specs are recomputed over the new values instead of reusing
   * labels cached over the old ones.
   */
  @Test
  void lfsReadDerivedColumnsAndRedefinitionInvalidatesTheirLabels() throws Exception {
    String[] texts = texts();
    try (RootAllocator allocator = TestAllocators.root()) {
      DatasetStore store = new DatasetStore(dir, CHUNK_ROWS);
      Manifest m = upload(store, allocator, texts);
      LabelCache cache = new LabelCache(dir);
      ChunkLabeler labeler = new ChunkLabeler(store, cache, new LfCompiler(LfLimits.DEFAULT));
      LabelStore labels = new LabelStore(dir, store, cache);
      LocalMemoryPool budget = new LocalMemoryPool("test", 256L << 20);
      labeler.derived().derive(request("{\"dataset\":\"d\",\"name\":\"low\",\"kind\":\"lowercase\",\"column\":\"text\"}"),
          budget, allocator, 1.0);
      labeler.derived().derive(request("{\"dataset\":\"d\",\"name\":\"toks\",\"kind\":\"token_count\",\"column\":\"text\"}"),
          budget, allocator, 1.0);
      LabelSpace space = new LabelSpace(List.of("A", "B"));
      List<LfSpec> specs = List.of(
          spec("{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"low\",\"keywords\":[\"free\"],\"caseSensitive\":true,\"label\":\"A\"}", 0),
          spec("{\"name\":\"many\",\"kind\":\"numeric\",\"column\":\"toks\",\"op\":\">=\",\"value\":4,\"label\":\"B\"}", 1),
          spec("{\"name\":\"ex\",\"kind\":\"expression\",\"expr\":\"toks == 2 && low.startsWith('é')\",\"label\":\"A\"}", 2),
          spec("{\"name\":\"plain\",\"kind\":\"numeric\",\"column\":\"n\",\"op\":\"==\",\"value\":1,\"label\":\"B\"}", 3));
      ChunkLabeler.JobLfs lfs = labeler.jobLfs(m, specs, space);
      assertEquals(List.of("low", "toks"), lfs.derived().stream().map(DerivedColumn::name).toList());
      assertEquals(ChunkLabeler.JobLfs.of(specs, space).fingerprints().get(3), lfs.fingerprints().get(3),
          "an LF reading no derived column keeps its plain fingerprint");
      assertNotEquals(ChunkLabeler.JobLfs.of(specs, space).fingerprints().get(0), lfs.fingerprints().get(0));
      byte[][] got = labelAll(store, labeler, labels, m, lfs, allocator, "job-1", false);
      for (int row = 0; row < ROWS; row++) {
        String t = texts[row];
        int toks = t == null ? -1 : pythonTokens(t);
        String low = t == null ? null : t.toLowerCase(Locale.ROOT);
        assertEquals(low != null && low.contains("free") ? 0 : -1, got[0][row], "kw row " + row);
        assertEquals(toks >= 4 ? 1 : -1, got[1][row], "many row " + row);
        assertEquals(toks == 2 && low.startsWith("é") ? 0 : -1, got[2][row], "ex row " + row);
        assertEquals(row % 5 == 1 ? 1 : -1, got[3][row], "plain row " + row);
      }
      assertArrayEquals(got[0], labelAll(store, labeler, labels, m, lfs, allocator, "job-2", true)[0], "resident chunks agree");

      // Redefine 'toks' as the length: the numeric LF (same spec) must see the new values.
      long before = labeler.lfChunkEvaluations();
      labeler.derived().derive(request("{\"dataset\":\"d\",\"name\":\"toks\",\"kind\":\"length\",\"column\":\"text\","
          + "\"replace\":true}"), budget, allocator, 1.0);
      ChunkLabeler.JobLfs after = labeler.jobLfs(m, specs, space);
      assertNotEquals(lfs.fingerprints().get(1), after.fingerprints().get(1));
      assertEquals(lfs.fingerprints().get(0), after.fingerprints().get(0), "LFs over 'low' keep their labels");
      byte[][] again = labelAll(store, labeler, labels, m, after, allocator, "job-3", false);
      for (int row = 0; row < ROWS; row++) {
        String t = texts[row];
        int length = t == null ? -1 : t.codePointCount(0, t.length());
        assertEquals(length >= 4 ? 1 : -1, again[1][row], "many row " + row + " after redefinition");
      }
      assertEquals(2L * m.chunks().size(), labeler.lfChunkEvaluations() - before,
          "only the two LFs reading 'toks' are recomputed");
    }
  }

  /** Labels every chunk (from disk, or from a resident copy of each chunk) and reads the job's labels back. */
  static byte[][] labelAll(DatasetStore store, ChunkLabeler labeler, LabelStore labels, Manifest m,
      ChunkLabeler.JobLfs lfs, RootAllocator allocator, String job, boolean resident) {
    labels.create(job, new LabelStore.JobLabels(m.name(), m.version(), lfs.names(), lfs.fingerprints()));
    byte[][] out = new byte[lfs.specs().size()][ROWS];
    for (int c = 0; c < m.chunks().size(); c++) {
      ChunkLabeler.Result result;
      if (resident) {
        try (VectorSchemaRoot chunk = dev.labelflight.engine.store.MappedChunks.read(store, m, c, allocator)) {
          result = labeler.label(m, c, lfs, allocator, chunk);
        }
      } else {
        result = labeler.label(m, c, lfs, allocator, null);
      }
      try (VectorSchemaRoot root = labels.read(job, c, result.payload(), allocator)) {
        for (int lf = 0; lf < out.length; lf++) {
          var v = (org.apache.arrow.vector.TinyIntVector) root.getVector(lf + 1);
          for (int i = 0; i < root.getRowCount(); i++) {
            out[lf][(int) m.chunk(c).firstRow() + i] = v.get(i);
          }
        }
      }
    }
    return out;
  }

}
