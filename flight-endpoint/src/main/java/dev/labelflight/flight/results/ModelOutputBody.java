package dev.labelflight.flight.results;

import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.labelmodel.LabelModel;
import dev.labelflight.engine.labelmodel.TiePolicy;
import dev.labelflight.flight.stream.Batches;
import dev.labelflight.flight.stream.StreamBody;
import dev.labelflight.flight.stream.StreamOut;
import dev.labelflight.verticles.labels.JobLabelChunks;
import dev.labelflight.verticles.labels.JobLabelChunks.DoneChunk;
import io.reactivex.rxjava3.core.Flowable;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * {@code probs/JOB/MODEL} and {@code preds/JOB/MODEL}: a fitted label model applied to the job's label
 * chunks as they finish, each chunk in slices of at most {@link #SLICE_VALUES} values (probabilities of
 * 1,000 classes for a whole chunk would be a large heap array), one batch per slice.
 */
final class ModelOutputBody implements StreamBody<DoneChunk> {
  /** Values (rows x classes or LFs) per batch. */
  static final int SLICE_VALUES = 4 << 20;

  private final String job;
  private final JobLabelChunks chunks;
  private final Flowable<DoneChunk> units;
  private final LabelModel model;
  private final boolean predictions;
  private final boolean wide;
  private final TiePolicy.Breaker ties;
  /** The job's label columns the model reads, in the model's LF order; null: all of them. */
  private final int[] columns;
  private final BufferAllocator allocator;
  private final VectorSchemaRoot root;

  ModelOutputBody(BufferAllocator parent, String name, String job, JobLabelChunks chunks, Flowable<DoneChunk> units,
      Schema schema, LabelModel model, boolean predictions, boolean wide, TiePolicy.Breaker ties, int[] columns) {
    this.job = job;
    this.chunks = chunks;
    this.units = units;
    this.model = model;
    this.predictions = predictions;
    this.wide = wide;
    this.ties = ties;
    this.columns = columns;
    this.allocator = parent.newChildAllocator("model " + name, 0, Long.MAX_VALUE);
    try {
      this.root = VectorSchemaRoot.create(schema, allocator);
    } catch (RuntimeException e) {
      allocator.close();
      throw e;
    }
  }

  @Override
  public void start(StreamOut out) {
    out.start(root);
  }

  @Override
  public Flowable<DoneChunk> units() {
    return units;
  }

  @Override
  public Batches open(DoneChunk unit) {
    VectorSchemaRoot labels = chunks.read(job, unit, allocator);
    int total = labels.getRowCount();
    int step = Math.max(1, SLICE_VALUES / Math.max(1, Math.max(model.classes(), model.lfs())));
    return new Batches() {
      private int from;

      @Override
      public boolean sendNext(StreamOut out) {
        if (from >= total) {
          return false;
        }
        slice(labels, from, Math.min(step, total - from));
        out.putNext();
        from += step;
        return from < total;
      }

      @Override
      public void close() {
        labels.close();
      }
    };
  }

  /** Fills the root with the model's output for rows {@code from .. from + count - 1} of a label chunk. */
  private void slice(VectorSchemaRoot labels, int from, int count) {
    LabelChunk read = LabelChunk.of(labels, from, count);
    LabelChunk chunk = columns == null ? read : read.select(columns);
    int rows = chunk.rows();
    double[][] probs = new double[model.classes()][rows];
    model.predictProba(chunk, probs);
    BigIntVector rowId = (BigIntVector) root.getVector(0);
    rowId.allocateNew(rows);
    BigIntVector sourceRowId = (BigIntVector) labels.getVector(0);
    for (int r = 0; r < rows; r++) {
      rowId.set(r, sourceRowId.get(from + r));
    }
    rowId.setValueCount(rows);
    if (predictions) {
      short[] predicted = new short[rows];
      ties.predict(probs, rows, chunk.firstRow(), predicted);
      BaseFixedWidthVector label = (BaseFixedWidthVector) root.getVector(1);
      label.allocateNew(rows);
      for (int r = 0; r < rows; r++) {
        if (wide) {
          ((SmallIntVector) label).set(r, predicted[r]);
        } else {
          ((TinyIntVector) label).set(r, predicted[r]);
        }
      }
      label.setValueCount(rows);
    } else {
      for (int c = 0; c < probs.length; c++) {
        Float4Vector column = (Float4Vector) root.getVector(c + 1);
        column.allocateNew(rows);
        for (int r = 0; r < rows; r++) {
          column.set(r, (float) probs[c][r]);
        }
        column.setValueCount(rows);
      }
    }
    root.setRowCount(rows);
  }

  @Override
  public void close() {
    root.close();
    allocator.close();
  }
}
