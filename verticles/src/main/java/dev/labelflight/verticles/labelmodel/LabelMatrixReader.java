package dev.labelflight.verticles.labelmodel;

import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.memory.Reservation;
import dev.labelflight.engine.memory.footprint.ModelFitFootprint;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.labelmatrix.RowBitmap;
import dev.labelflight.engine.labelmatrix.RowRanges;
import dev.labelflight.engine.labelmatrix.RowSelection;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.labels.JobLabelChunks;
import dev.labelflight.verticles.node.MemoryAdmission;
import dev.labelflight.verticles.node.NodeResources;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Reads a finished job's label matrix chunk by chunk in row order, for analysis and label models: each
 * label chunk in slices (so a chunk of many LFs is never copied onto the heap whole), optionally with the
 * gold labels of the same rows (read from the dataset chunk under a budget reservation), optionally only the
 * rows of a {@link RowSelection}. Blocking: call from workers.
 */
final class LabelMatrixReader {
  /** Labels per slice of a label chunk read without gold (4 MiB as shorts). */
  private static final int SLICE_VALUES = 2 << 20;

  private final NodeResources node;
  private final JobLabelChunks chunks;

  LabelMatrixReader(NodeResources node, JobLabelChunks chunks) {
    this.node = node;
    this.chunks = chunks;
  }

  /** Reads the gold labels of one dataset chunk (one class column, or one per class for multi-label). */
  interface GoldReader<G> {
    G read(VectorSchemaRoot data, long firstRow);
  }

  /** Gets one label chunk and, when gold was asked for, the gold labels of the same rows. */
  interface ChunkConsumer<G> {
    void accept(LabelChunk chunk, G gold) throws Exception;
  }

  /**
   * Reads every label chunk in row order (with its gold labels), each under a budget reservation; with
   * {@code selection}, only its rows (one consumer call per selected run of a chunk).
   */
  <G> void readAll(String job, Manifest manifest, JsonObject progress, RowSelection selection, GoldReader<G> gold,
      ChunkConsumer<G> consumer) throws Exception {
    try (BufferAllocator labelAllocator = node.allocator().newChildAllocator("labels of job " + job, 0, Long.MAX_VALUE)) {
      readAll(job, manifest, progress, selection, gold, consumer, labelAllocator);
    }
  }

  private <G> void readAll(String job, Manifest manifest, JsonObject progress, RowSelection selection, GoldReader<G> gold,
      ChunkConsumer<G> consumer, BufferAllocator labelAllocator) throws Exception {
    chunks.forEachFinished(job, progress, labelAllocator, (index, labels) -> {
      int rows = labels.getRowCount();
      long firstRow = rows == 0 ? 0 : ((org.apache.arrow.vector.BigIntVector) labels.getVector(0)).get(0);
      if (gold == null) {
        int step = Math.max(1, SLICE_VALUES / Math.max(1, labels.getFieldVectors().size() - 1));
        RowSelection.RunConsumer slices = (offset, length) -> {
          for (int from = offset; from < offset + length; from += step) {
            consumer.accept(LabelChunk.of(labels, from, Math.min(step, offset + length - from)), null);
          }
        };
        if (selection == null) {
          slices.accept(0, rows);
        } else {
          selection.forEachRun(firstRow, rows, slices);
        }
        return true;
      }
      if (selection != null && !selected(selection, firstRow, rows)) {
        return true;
      }
      LabelChunk chunk = LabelChunk.of(labels);
      G goldLabels;
      String holder = "gold of job " + job + " chunk " + index;
      long estimate = ModelFitFootprint.goldChunk(manifest.chunk(index));
      try (Reservation reservation = node.memoryPool().newReservation(holder)) {
        MemoryAdmission.await(reservation, estimate, node.execution().memoryWait(), CancelToken.NEVER);
        try (BufferAllocator allocator = node.allocator().newChildAllocator(holder, 0, estimate);
             VectorSchemaRoot data = node.datasets().readChunk(manifest, index, allocator)) {
          goldLabels = gold.read(data, manifest.chunk(index).firstRow());
        }
      }
      if (selection == null) {
        consumer.accept(chunk, goldLabels);
      } else {
        G all = goldLabels;
        selection.forEachRun(firstRow, rows, (offset, length) -> consumer.accept(
            LabelChunk.of(labels, offset, length), slice(all, offset, length)));
      }
      return true;
    });
  }

  /** Whether {@code selection} holds any row of {@code [firstRow, firstRow + rows)}. */
  private static boolean selected(RowSelection selection, long firstRow, int rows) throws Exception {
    boolean[] any = {false};
    selection.forEachRun(firstRow, rows, (offset, length) -> any[0] = true);
    return any[0];
  }

  /** Gold labels of rows {@code [from, from + length)} of a chunk: one column, or one per class (multi-label). */
  @SuppressWarnings("unchecked")
  private static <G> G slice(G gold, int from, int length) {
    if (gold instanceof short[] column) {
      return (G) java.util.Arrays.copyOfRange(column, from, from + length);
    }
    short[][] perClass = (short[][]) gold;
    short[][] out = new short[perClass.length][];
    for (int c = 0; c < perClass.length; c++) {
      out[c] = java.util.Arrays.copyOfRange(perClass[c], from, from + length);
    }
    return (G) out;
  }

  /** The request's {@code rowRanges} or uploaded {@code selection}, checked against the job's rows; null for every row. */
  RowSelection rowSelection(JsonObject body, long rowsTotal, String job) {
    Object value = body.getValue("rowRanges");
    Object id = body.getValue("selection");
    if (id != null) {
      if (value != null) {
        throw LabelFlightException.invalid("give 'rowRanges' or 'selection', not both");
      }
      if (!(id instanceof String s) || !s.matches("[0-9a-f-]{1,64}")) {
        throw LabelFlightException.invalid("'selection' must be the id an upload to [\"selections\", JOB] returned");
      }
      try {
        return RowBitmap.read(node.labels().selectionFile(job, s), s, rowsTotal);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot read row selection " + s, e);
      }
    }
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array)) {
      throw LabelFlightException.invalid("'rowRanges' must be a list of [start, end) pairs of row ids");
    }
    if (array.size() > RowRanges.MAX_RANGES) {
      throw LabelFlightException.invalid("'rowRanges' has " + array.size() + " ranges; at most " + RowRanges.MAX_RANGES
          + " are allowed").withDetail(LabelFlightException.Detail.LIMIT, RowRanges.MAX_RANGES)
          .withDetail(LabelFlightException.Detail.FIELD, "rowRanges");
    }
    long[] pairs = new long[array.size() * 2];
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonArray pair) || pair.size() != 2
          || !(pair.getValue(0) instanceof Integer || pair.getValue(0) instanceof Long)
          || !(pair.getValue(1) instanceof Integer || pair.getValue(1) instanceof Long)) {
        throw LabelFlightException.invalid("'rowRanges' entry " + i + " must be a pair [start, end) of row ids");
      }
      pairs[2 * i] = ((Number) pair.getValue(0)).longValue();
      pairs[2 * i + 1] = ((Number) pair.getValue(1)).longValue();
    }
    return RowRanges.of(pairs, rowsTotal);
  }
}
