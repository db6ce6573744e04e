package dev.labelflight.engine.lf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.demo.ReviewsGenerator;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TextSignaturesTest {
  static final LabelSpace LABELS = new LabelSpace(List.of("HAM", "SPAM"));
  static final Schema SCHEMA = new Schema(List.of(new Field("text", FieldType.nullable(new ArrowType.Utf8()), null)));
  static final String[] EXTRA = {"Café", "CAFÉ", "naïve", "Straße", "日本語", "ÉCOLE", "free_money", "don't", "x", "I"};
  static final int ROWS = 6000;

  /** One LF set per line: every keyword flavour, alone and fused, and regex LFs with and without literals. */
  static final List<String> SETS = List.of(
      kw("[\"great\",\"excellent\",\"love\"]", ""),
      kw("[\"Excellent\",\"Winner\",\"FREE\"]", ",\"caseSensitive\":true"),
      kw("[\"it\",\"use\",\"money\"]", ",\"wholeWord\":true"),
      kw("[\"Happy\",\"free\"]", ",\"caseSensitive\":true,\"wholeWord\":true"),
      kw("[\"café\",\"STRASSE\",\"straße\",\"日本\"]", ""),
      kw("[\"CAFÉ\",\"naïve\"]", ",\"caseSensitive\":true"),
      kw("[\"école\"]", ",\"wholeWord\":true"),
      kw("[\"x\"]", ""),
      kw("[\"é\"]", ",\"caseSensitive\":true"),
      kw("[\"!\",\"congratulations\"]", ""),
      kw("[\"free money\",\"click here\",\"act now\"]", ""),
      kw("[\"Free Money\",\"you won\"]", ",\"caseSensitive\":true,\"wholeWord\":true"),
      kw("[\"zzqq\",\"run7\"]", ""),
      kw("[\"don't\",\"free_money\",\"i\"]", ",\"wholeWord\":true"),
      kw(many(), ""),
      kw("[\"great\"]", "") + "," + kw("[\"Winner\"]", ",\"caseSensitive\":true") + ","
          + kw("[\"ship\",\"café\"]", ",\"wholeWord\":true"),
      """
      {"name":"re_url","kind":"regex","column":"text","pattern":"https?://","label":"SPAM"},
      {"name":"re_free","kind":"regex","column":"text","pattern":"free\\\\s+money","caseSensitive":false,"label":"SPAM"},
      {"name":"re_won","kind":"regex","column":"text","pattern":"(won|winner)","label":"SPAM"},
      {"name":"re_cafe","kind":"regex","column":"text","pattern":"caf[eé]","caseSensitive":false,"label":"HAM"},
      {"name":"re_any","kind":"regex","column":"text","pattern":"^[a-z]+ ","label":"HAM"}""");

  RootAllocator allocator;

  @BeforeEach
  void setUp() {
    allocator = TestAllocators.root();
  }

  @AfterEach
  void tearDown() {
    allocator.close();
  }

  static String kw(String keywords, String options) {
    return "{\"name\":\"kw" + Math.abs(keywords.hashCode() + options.hashCode()) + "\",\"kind\":\"keyword\",\"column\":\"text\","
        + "\"keywords\":" + keywords + options + ",\"label\":\"SPAM\"}";
  }

  /** More keywords than the filter tests per row. */
  static String many() {
    List<String> words = new ArrayList<>();
    for (int i = 0; i <= TextSignatures.MAX_MASKS; i++) {
      words.add("\"" + ReviewsGenerator.WORDS.get(i) + "zz\"");
    }
    return words.toString();
  }

  /** Generated reviews with non-ASCII words, case changes, punctuation and 1-char words mixed in. */
  VectorSchemaRoot chunk() {
    VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
    VarCharVector out = (VarCharVector) root.getVector(0);
    out.allocateNew();
    SplittableRandom random = new SplittableRandom(17);
    try (VectorSchemaRoot reviews = new ReviewsGenerator(11).batch(0, ROWS, allocator)) {
      VarCharVector text = (VarCharVector) reviews.getVector("text");
      for (int i = 0; i < ROWS; i++) {
        if (text.isNull(i)) {
          out.setNull(i);
          continue;
        }
        String s = new String(text.get(i), StandardCharsets.UTF_8);
        switch (random.nextInt(6)) {
          case 0 -> s = s.toUpperCase(Locale.ROOT);
          case 1 -> s = EXTRA[random.nextInt(EXTRA.length)] + " " + s;
          case 2 -> s = s + " " + EXTRA[random.nextInt(EXTRA.length)];
          case 3 -> s = i % 50 == 0 ? "" : s;
          default -> { }
        }
        out.setSafe(i, s.getBytes(StandardCharsets.UTF_8));
      }
    }
    root.setRowCount(ROWS);
    return root;
  }

  /** Verifies that every keyword and regex LF set labels a kept (indexed) chunk exactly as a fresh copy. */
  @Test
  void filteredEvaluationEqualsFullScan() throws Exception {
    LfCompiler compiler = new LfCompiler(LfLimits.DEFAULT);
    try (VectorSchemaRoot chunk = chunk()) {
      ResidentText kept = new ResidentText(chunk, new HeapAllowance(Long.MAX_VALUE));
      while (kept.buildNext(() -> { })) {
        // the resident copy's background build, here at once
      }
      List<String> all = new ArrayList<>(SETS);
      all.add(String.join(",", SETS));
      for (String set : all) {
        List<LfSpec> specs = LfCompilerTest.specs("[" + set + "]");
        CompiledLfSet compiled = compiler.compile(specs, LABELS, SCHEMA);
        byte[][] full = compiled.evaluate(chunk);
        byte[][] filtered = compiled.evaluate(chunk, null, kept);
        for (int lf = 0; lf < specs.size(); lf++) {
          assertArrayEquals(full[lf], filtered[lf], "LF " + specs.get(lf).json());
        }
        // The same kept copy serves the next job: evaluate once more through it.
        assertArrayEquals(full, compiled.evaluate(chunk, null, kept), set);
      }
      var text = (VarCharVector) chunk.getVector(0);
      assertSame(kept.column(text), kept.column(text), "one kept copy per column");
      assertNotNull(kept.column(text).signatures(), "a kept column is indexed");
      try (VarCharVector other = new VarCharVector("text", allocator)) {
        assertNull(kept.column(other), "a vector of another root is not kept");
      }
    }
  }

  /**
   * Verifies that a column that does not fit the heap allowance is not kept (jobs copy it per chunk, with
   * the same labels), that a kept one takes its bytes from the allowance, and that closing gives them back.
   */
  @Test
  void keptColumnsStayWithinTheHeapAllowance() throws Exception {
    LfCompiler compiler = new LfCompiler(LfLimits.DEFAULT);
    List<LfSpec> specs = LfCompilerTest.specs("[" + String.join(",", SETS) + "]");
    CompiledLfSet compiled = compiler.compile(specs, LABELS, SCHEMA);
    try (VectorSchemaRoot chunk = chunk()) {
      var text = (VarCharVector) chunk.getVector(0);
      byte[][] full = compiled.evaluate(chunk);
      HeapAllowance tight = new HeapAllowance(text.getDataBuffer().writerIndex());
      ResidentText refused = new ResidentText(chunk, tight);
      assertTrue(refused.buildNext(() -> { }));
      assertArrayEquals(full, compiled.evaluate(chunk, null, refused));
      assertNull(refused.column(text), "no room: not kept");
      assertEquals(0, tight.used());

      HeapAllowance roomy = new HeapAllowance(1L << 30);
      ResidentText kept = new ResidentText(chunk, roomy);
      assertTrue(kept.buildNext(() -> { }));
      assertArrayEquals(full, compiled.evaluate(chunk, null, kept));
      assertNotNull(kept.column(text));
      assertTrue(roomy.used() >= kept.bytes(), roomy.used() + " reserved for " + kept.bytes() + " kept");
      kept.close();
      assertEquals(0, roomy.used());
      assertNull(kept.column(text), "closed: nothing kept any more");
      assertThrows(IllegalStateException.class, () -> roomy.free(1));
    }
  }

  /** Verifies that a selective keyword scans only the rows whose signature allows it, and short keywords all rows. */
  @Test
  void filterSkipsRows() {
    try (VectorSchemaRoot chunk = chunk()) {
      VarCharVector vector = (VarCharVector) chunk.getVector(0);
      TextColumn kept = TextColumn.keep(vector);
      TextColumn copy = TextColumn.of(vector);
      int nonNull = ROWS - vector.getNullCount();
      // Phrases are not words: the signatures decide which rows to scan.
      KeywordAutomaton rare = automaton("congratulations you", "zz qq");
      int[] hits = new int[1];
      int scanned = rare.scan(kept, 1, (owner, row) -> hits[0]++);
      int[] fullHits = new int[1];
      assertEquals(nonNull, rare.scan(copy, 1, (owner, row) -> fullHits[0]++), "a per-job copy is scanned in full");
      assertEquals(fullHits[0], hits[0]);
      assertTrue(hits[0] > 0 && scanned >= hits[0], "hits " + hits[0] + ", scanned " + scanned);
      assertTrue(scanned < hits[0] + nonNull / 50, "few false candidates: scanned " + scanned + " of " + nonNull
          + " for " + hits[0] + " matching rows");
      assertEquals(nonNull, automaton("!", "you won").scan(kept, 1, (owner, row) -> { }),
          "a 1-byte keyword cannot be filtered");
      assertTrue(automaton("zz qq").scan(kept, 1, (owner, row) -> { }) < nonNull / 100, "an absent keyword skips nearly all");
    }
  }

  /** Verifies that keywords made of word bytes are answered from the word index without scanning a row. */
  @Test
  void wordKeywordsScanNothing() {
    try (VectorSchemaRoot chunk = chunk()) {
      VarCharVector vector = (VarCharVector) chunk.getVector(0);
      TextColumn kept = TextColumn.keep(vector);
      TextColumn copy = TextColumn.of(vector);
      KeywordAutomaton words = automaton("great", "café", "x");
      byte[] fromIndex = new byte[ROWS];
      byte[] scanned = new byte[ROWS];
      assertEquals(0, words.scan(kept, 1, (owner, row) -> fromIndex[row] = 1));
      assertEquals(ROWS - vector.getNullCount(), words.scan(copy, 1, (owner, row) -> scanned[row] = 1));
      assertArrayEquals(scanned, fromIndex);
      assertNotNull(kept.words(), "the reviews' word index fits its budget");

      // Mixed: the words from the index, the phrase on the rows its signature allows.
      KeywordAutomaton mixed = automaton("great", "you won");
      byte[] mixedKept = new byte[ROWS];
      byte[] mixedFull = new byte[ROWS];
      int rest = mixed.scan(kept, 1, (owner, row) -> mixedKept[row]++);
      mixed.scan(copy, 1, (owner, row) -> mixedFull[row]++);
      assertArrayEquals(mixedFull, mixedKept, "once per row, the same rows");
      int[] phraseRows = new int[1];
      automaton("you won").scan(copy, 1, (owner, row) -> phraseRows[0]++);
      assertTrue(rest >= phraseRows[0] && rest < phraseRows[0] + ROWS / 50,
          "only the phrase's candidate rows are scanned: " + rest + " for " + phraseRows[0] + " rows with it");
    }
  }

  /**
   * Verifies that a phrase is scanned only on rows where each of its words occurs inside some word (told by
   * the word index) and its signature allows it: fewer rows than the signatures alone, the same matches.
   */
  @Test
  void phrasesScanOnlyRowsHoldingTheirWords() {
    try (VectorSchemaRoot chunk = chunk()) {
      VarCharVector vector = (VarCharVector) chunk.getVector(0);
      TextColumn kept = TextColumn.keep(vector);
      TextColumn copy = TextColumn.of(vector);
      // Two words of the generated text, in an order the generator rarely writes: each word is common.
      String[] first = new String(vector.get(0), StandardCharsets.UTF_8).split("[^A-Za-z]+");
      String[] second = new String(vector.get(1), StandardCharsets.UTF_8).split("[^A-Za-z]+");
      String phrase = (first[0] + " " + second[second.length - 1]).toLowerCase(Locale.ROOT);
      KeywordAutomaton automaton = automaton(phrase);
      byte[] filtered = new byte[ROWS];
      byte[] full = new byte[ROWS];
      int scanned = automaton.scan(kept, 1, (owner, row) -> filtered[row] = 1);
      automaton.scan(copy, 1, (owner, row) -> full[row] = 1);
      assertArrayEquals(full, filtered, phrase);
      long[] mask = TextSignatures.masks(List.of(KeywordAutomaton.Keyword.of(phrase, 0, false, false, true)));
      int bySignature = 0;
      for (int row = 0; row < ROWS; row++) {
        if (!vector.isNull(row) && kept.signatures().mayContainAny(row, mask)) {
          bySignature++;
        }
      }
      assertTrue(scanned < bySignature, "'" + phrase + "': scanned " + scanned + " rows, signatures alone allow " + bySignature);
    }
  }

  private static KeywordAutomaton automaton(String... keywords) {
    List<KeywordAutomaton.Keyword> list = new ArrayList<>();
    for (String k : keywords) {
      list.add(KeywordAutomaton.Keyword.of(k, 0, false, false, true));
    }
    return new KeywordAutomaton(list, true);
  }
}
