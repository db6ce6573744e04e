package dev.labelflight.engine.lf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.testing.TestAllocators;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Verifies that match spans follow the LF evaluators' semantics and come as UTF-16 offsets. */
class MatchSpansTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Schema SCHEMA = new Schema(List.of(new Field("t", FieldType.nullable(new ArrowType.Utf8()), null)));

  /** Verifies ASCII case folding, whole words and offsets past characters outside the BMP. */
  @Test
  void keywordSpans() throws Exception {
    MatchSpans free = spans("{\"name\":\"k\",\"kind\":\"keyword\",\"column\":\"t\",\"keywords\":[\"free\",\"click here\"],\"wholeWord\":true}");
    assertArrayEquals(new int[] {0, 4, 10, 20}, free.find("FREE, now Click Here!"));
    assertArrayEquals(new int[0], free.find("freedom"), "whole words only");
    // 😀 is two UTF-16 units and four UTF-8 bytes; é two bytes and one unit.
    assertArrayEquals(new int[] {4, 8}, free.find("😀é free"));
    MatchSpans exact = spans("{\"name\":\"k\",\"kind\":\"keyword\",\"column\":\"t\",\"keywords\":[\"Free\"],\"caseSensitive\":true}");
    assertArrayEquals(new int[] {8, 12}, exact.find("free or Free"));
    MatchSpans longest = spans("{\"name\":\"k\",\"kind\":\"keyword\",\"column\":\"t\",\"keywords\":[\"win\",\"winner\"]}");
    assertArrayEquals(new int[] {0, 6, 7, 10}, longest.find("winner win"));
  }

  /** Verifies regex spans with the LF's flags, full matches and patterns that can match the empty string. */
  @Test
  void regexSpans() throws Exception {
    MatchSpans url = spans("{\"name\":\"r\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"https?://\\\\S+\"}");
    assertArrayEquals(new int[] {4, 20}, url.find("see http://x.example now"));
    MatchSpans caseSensitive = spans("{\"name\":\"r\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"win\"}");
    assertArrayEquals(new int[0], caseSensitive.find("WIN"), "regex LFs are case sensitive by default");
    MatchSpans ignoring = spans("{\"name\":\"r\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"win\",\"caseSensitive\":false}");
    assertArrayEquals(new int[] {0, 3}, ignoring.find("WIN"));
    MatchSpans full = spans("{\"name\":\"r\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"[a-z ]+\",\"match\":\"full\"}");
    assertArrayEquals(new int[] {0, 7}, full.find("abc def"));
    assertArrayEquals(new int[0], full.find("abc 1"));
    MatchSpans empty = spans("{\"name\":\"r\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"x*\"}");
    assertArrayEquals(new int[] {2, 4}, empty.find("abxx"));
    assertTrue(MatchSpans.of(LfSpec.parse(JSON.readTree("{\"name\":\"n\",\"kind\":\"numeric\"}"), 0), LfLimits.DEFAULT).isEmpty());
    LabelFlightException bad = assertThrows(LabelFlightException.class,
        () -> spans("{\"name\":\"r\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"(\"}"));
    assertTrue(bad.getMessage().startsWith("LF 'r' (regex): invalid regex"), bad.getMessage());
  }

  /**
   * Verifies, over generated texts of mixed case, punctuation and non-ASCII words, that an LF has spans in a
   * row exactly where its compiled evaluator votes.
   */
  @Test
  void spansAppearExactlyWhereTheLfVotes() throws Exception {
    String[] words = {"free", "FREE", "Free", "freedom", "win", "winner", "über", "Über", "naïve", "click", "here", "é",
        "x", "😀", "-", "!", "_free", "free_", "http://a.b", "HTTPS://c"};
    List<String> texts = new ArrayList<>();
    Random random = new Random(11);
    for (int i = 0; i < 2_000; i++) {
      StringBuilder b = new StringBuilder();
      int n = random.nextInt(8);
      for (int w = 0; w < n; w++) {
        b.append(words[random.nextInt(words.length)]).append(random.nextInt(4) == 0 ? "" : " ");
      }
      texts.add(b.toString());
    }
    List<String> specs = List.of(
        "{\"name\":\"a\",\"kind\":\"keyword\",\"column\":\"t\",\"keywords\":[\"free\",\"über\"],\"label\":\"Y\"}",
        "{\"name\":\"b\",\"kind\":\"keyword\",\"column\":\"t\",\"keywords\":[\"free\",\"click here\",\"naïve\"],\"wholeWord\":true,\"label\":\"Y\"}",
        "{\"name\":\"c\",\"kind\":\"keyword\",\"column\":\"t\",\"keywords\":[\"Free\",\"Über\"],\"caseSensitive\":true,\"label\":\"Y\"}",
        "{\"name\":\"d\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"https?://\\\\S+\",\"caseSensitive\":false,\"label\":\"Y\"}",
        "{\"name\":\"e\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"\\\\bwin(ner)?\\\\b\",\"label\":\"Y\"}",
        "{\"name\":\"f\",\"kind\":\"regex\",\"column\":\"t\",\"pattern\":\"^[a-z ]+$\",\"match\":\"full\",\"label\":\"Y\"}");
    try (RootAllocator allocator = TestAllocators.root();
         VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
      VarCharVector t = (VarCharVector) root.getVector("t");
      t.allocateNew();
      for (int i = 0; i < texts.size(); i++) {
        t.setSafe(i, texts.get(i).getBytes(StandardCharsets.UTF_8));
      }
      root.setRowCount(texts.size());
      for (String json : specs) {
        LfSpec spec = LfSpec.parse(JSON.readTree(json), 0);
        byte[] votes = new LfCompiler(LfLimits.DEFAULT).compile(List.of(spec), new LabelSpace(List.of("Y")), SCHEMA)
            .evaluate(root)[0];
        MatchSpans spans = MatchSpans.of(spec, LfLimits.DEFAULT).orElseThrow();
        int voted = 0;
        for (int i = 0; i < texts.size(); i++) {
          boolean vote = votes[i] != LabelSpace.ABSTAIN;
          voted += vote ? 1 : 0;
          assertEquals(vote, spans.find(texts.get(i)).length > 0, spec.name() + " on '" + texts.get(i) + "'");
        }
        assertTrue(voted > 20 && voted < texts.size(), spec.name() + " votes on " + voted + " rows");
      }
    }
  }

  private static MatchSpans spans(String json) throws Exception {
    return MatchSpans.of(LfSpec.parse(JSON.readTree(json), 0), LfLimits.DEFAULT).orElseThrow();
  }
}
