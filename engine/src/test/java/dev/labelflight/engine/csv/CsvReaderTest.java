package dev.labelflight.engine.csv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.testing.TestAllocators;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;

/** Verifies CSV parsing: quoting, types from the first rows, batches, and errors that name row, column and value. */
class CsvReaderTest {

  /** Verifies quoted commas, quotes and line breaks, CRLF, a BOM, blank lines, nulls and the inferred types. */
  @Test
  void parsesQuotingAndInfersTypes() {
    String csv = "\uFEFFid,text,score,flag,stars\r\n"
        + "1,\"hello, world\",0.5,true,3\r\n"
        + "\r\n"
        + "2,\"she said \"\"hi\"\"\nthen left\",,false,\r\n"
        + "-3,plain,1e3,TRUE,5\n";
    List<List<Object>> rows = read(csv, new CsvReader.Options(2, 1000, 1 << 20, 1 << 20));
    assertEquals(List.of(
        List.of("1", "hello, world", "0.5", "true", "3"),
        java.util.Arrays.asList("2", "she said \"hi\"\nthen left", null, "false", null),
        List.of("-3", "plain", "1000.0", "true", "5")), rows);
    try (RootAllocator allocator = TestAllocators.root();
         CsvReader reader = new CsvReader(stream(csv), allocator, CsvReader.Options.defaults())) {
      assertEquals("Schema<id: Int(64, true), text: Utf8, score: FloatingPoint(DOUBLE), flag: Bool, stars: Int(64, true)>",
          reader.schema().toString());
    }
  }

  /** Verifies that rows beyond the sample are read in batches with the same values as when all rows are sampled. */
  @Test
  void batchesBeyondTheSample() {
    StringBuilder csv = new StringBuilder("n,word\n");
    Random random = new Random(3);
    List<List<Object>> expected = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      String word = "w" + random.nextInt(1000) + (i % 7 == 0 ? ",x" : "");
      csv.append(i).append(',').append(word.contains(",") ? "\"" + word + "\"" : word).append('\n');
      expected.add(List.of(Integer.toString(i), word));
    }
    assertEquals(expected, read(csv.toString(), new CsvReader.Options(333, 50, 1 << 20, 1 << 20)));
  }

  /** Verifies that each malformed input is refused with a message naming what and where. */
  @Test
  void refusesMalformedInput() {
    CsvReader.Options small = new CsvReader.Options(10, 2, 64, 1 << 20);
    assertRefused("", small, "the CSV file is empty");
    assertRefused("a,a\n1,2\n", small, "names column 'a' twice");
    assertRefused("a,b\n1,2\n3\n", small, "row 1 has 1 fields; the header has 2 columns");
    assertRefused("a,b\n1,2\n3,4\nx,5\n", small, "row 2, column 'a': 'x' is not an integer");
    assertRefused("a\n\"open\n", small, "never ends");
    assertRefused("a\n\"x\"y\n", small, "goes on after its closing quote");
    assertRefused("a\n" + "x".repeat(100) + "\n", small, "longer than 64 bytes");
  }

  private static void assertRefused(String csv, CsvReader.Options options, String text) {
    LabelFlightException e = assertThrows(LabelFlightException.class, () -> read(csv, options));
    assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind());
    assertTrue(e.getMessage().contains(text), e.getMessage());
  }

  /** Every value as text (numbers as Java prints them), null for nulls. */
  private static List<List<Object>> read(String csv, CsvReader.Options options) {
    List<List<Object>> rows = new ArrayList<>();
    try (RootAllocator allocator = TestAllocators.root();
         CsvReader reader = new CsvReader(stream(csv), allocator, options)) {
      for (VectorSchemaRoot next = reader.next(); next != null; next = reader.next()) {
        try (VectorSchemaRoot batch = next) {
          assertTrue(batch.getRowCount() <= options.batchRows());
          for (int r = 0; r < batch.getRowCount(); r++) {
            List<Object> row = new ArrayList<>();
            for (var v : batch.getFieldVectors()) {
              Object o = v.getObject(r);
              row.add(o == null ? null : o.toString());
            }
            rows.add(row);
          }
        }
      }
      assertNull(reader.next());
    }
    return rows;
  }

  private static InputStream stream(String csv) {
    return new ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8));
  }
}
