package dev.labelflight.verticles.lending;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.verticles.worker.ChunkReport;
import io.vertx.core.buffer.Buffer;
import java.util.Map;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/** The binary outcome of a chunk run on another node: its label columns as Arrow IPC, never JSON. */
class LentChunkOutcomeTest {
  /**
   * Verifies that 2,000 label columns of 10,000 rows (20 MB, as JSON a string past Jackson's 20,000,000
   * characters) survive the trip byte for byte, with their report, and that no Arrow memory is left.
   */
  @Test
  void manyLabelColumnsRoundTripAsArrow() {
    int rows = 10_000;
    byte[][] columns = new byte[2_000][rows];
    Random random = new Random(3);
    for (byte[] column : columns) {
      for (int r = 0; r < rows; r++) {
        column[r] = (byte) (random.nextInt(3) - 1);
      }
    }
    ChunkReport report = new ChunkReport("job-1", 7, rows, 123, 456, 789, new int[] {0, 5}, Map.of(3, 2L), 1, "node-b");
    try (RootAllocator allocator = new RootAllocator()) {
      Buffer wire = LentChunkOutcome.done(report, columns, rows, allocator).toBuffer();
      assertTrue(wire.length() > rows * columns.length, "the columns are in the message: " + wire.length());
      assertEquals(0, allocator.getAllocatedMemory());
      LentChunkOutcome back = LentChunkOutcome.fromBuffer(wire);
      assertEquals(LentChunkOutcome.Kind.DONE, back.kind());
      assertEquals(report.toJson(), back.report().toJson());
      byte[][] read = back.labelColumns(columns.length, allocator);
      for (int i = 0; i < columns.length; i++) {
        assertArrayEquals(columns[i], read[i], "column " + i);
      }
      assertEquals(0, allocator.getAllocatedMemory());
      assertThrows(CorruptDataException.class, () -> back.labelColumns(columns.length + 1, allocator),
          "a column count other than the job's is refused");
      assertEquals(0, allocator.getAllocatedMemory());
    }
  }

  /** Verifies that RETURNED and FAILED outcomes carry their reason and no labels, and garbage is refused. */
  @Test
  void outcomesWithoutLabelsAndGarbage() {
    LentChunkOutcome returned = LentChunkOutcome.fromBuffer(LentChunkOutcome.returned("j", 3, "n", "no memory").toBuffer());
    assertEquals(LentChunkOutcome.Kind.RETURNED, returned.kind());
    assertEquals("no memory", returned.reason());
    assertNull(returned.labels());
    LentChunkOutcome failed = LentChunkOutcome.fromBuffer(LentChunkOutcome.failed("j", 4, "n", "LF 'x' failed").toBuffer());
    assertEquals(LentChunkOutcome.Kind.FAILED, failed.kind());
    assertEquals(4, failed.chunk());
    assertThrows(CorruptDataException.class, () -> LentChunkOutcome.fromBuffer(Buffer.buffer("{\"json\": true}")));
  }
}
