package dev.labelflight.engine.labelmatrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Row selections of a job (JSON ranges and uploaded bitmaps): the runs each chunk of rows is read as. */
class RowSelectionTest {
  private static List<String> runs(RowSelection selection, long firstRow, int rows) throws Exception {
    List<String> out = new ArrayList<>();
    selection.forEachRun(firstRow, rows, (offset, length) -> out.add(offset + "+" + length));
    return out;
  }

  /** Verifies that ranges merge when adjacent, count their rows and split at chunk edges. */
  @Test
  void rangesSplitAtChunkEdges() throws Exception {
    RowRanges ranges = RowRanges.of(new long[] {0, 5, 5, 8, 20, 35}, 100);
    assertEquals(2, ranges.size());
    assertEquals(23, ranges.count());
    assertEquals(List.of("0+8"), runs(ranges, 0, 10));
    assertEquals(List.of("0+10"), runs(ranges, 20, 10));
    assertEquals(List.of("0+5"), runs(ranges, 30, 10));
    assertEquals(List.of(), runs(ranges, 40, 60));
    assertEquals(List.of("2+2"), runs(RowRanges.of(new long[] {7, 9}, 10), 5, 5));
  }

  /** Verifies that empty, overlapping, unordered or out-of-range ranges are refused naming the field. */
  @Test
  void badRangesAreRefused() {
    for (long[] bad : new long[][] {{}, {3, 3}, {5, 9, 8, 10}, {0, 101}, {-1, 2}, {1}}) {
      LabelFlightException e = assertThrows(LabelFlightException.class, () -> RowRanges.of(bad, 100));
      assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT, e.kind());
      assertTrue(e.getMessage().contains("rowRanges"), e.getMessage());
    }
  }

  /** Verifies that a bitmap gives the runs of its set rows per chunk and survives its file. */
  @Test
  void bitmapRunsAndFile(@TempDir Path dir) throws Exception {
    RowBitmap bits = RowBitmap.empty(50);
    for (long row : new long[] {0, 1, 2, 9, 10, 11, 12, 49}) {
      bits.add(row);
    }
    assertEquals(8, bits.count());
    assertEquals(List.of("0+3", "9+1"), runs(bits, 0, 10));
    assertEquals(List.of("0+3"), runs(bits, 10, 10));
    assertEquals(List.of("9+1"), runs(bits, 40, 10));
    Path file = dir.resolve("s.bits");
    bits.write(file);
    RowBitmap back = RowBitmap.read(file, "s", 50);
    assertEquals(runs(bits, 0, 50), runs(back, 0, 50));
    assertEquals(LabelFlightException.Kind.INVALID_ARGUMENT,
        assertThrows(LabelFlightException.class, () -> RowBitmap.read(file, "s", 51)).kind());
    assertEquals(LabelFlightException.Kind.NOT_FOUND,
        assertThrows(LabelFlightException.class, () -> RowBitmap.read(dir.resolve("none"), "none", 50)).kind());
    LabelFlightException outside = assertThrows(LabelFlightException.class, () -> bits.add(50));
    assertEquals(50L, outside.details().get(LabelFlightException.Detail.ROW));
  }
}
