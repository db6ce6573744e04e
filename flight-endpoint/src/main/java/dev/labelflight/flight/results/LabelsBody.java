package dev.labelflight.flight.results;

import dev.labelflight.engine.labelmatrix.SparseVotes;
import dev.labelflight.flight.stream.Batches;
import dev.labelflight.flight.stream.StreamBody;
import dev.labelflight.flight.stream.StreamOut;
import dev.labelflight.verticles.labels.JobLabelChunks;
import dev.labelflight.verticles.labels.JobLabelChunks.DoneChunk;
import io.reactivex.rxjava3.core.Flowable;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * {@code labels/JOB}: the job's label chunks in row order as they finish, each sent as it is stored (dense),
 * or only their votes ({@code ?layout=sparse}, {@link SparseVotes}) in batches of at most
 * {@link #SPARSE_BATCH_VOTES}, gathered across chunks one LF column at a time.
 */
final class LabelsBody implements StreamBody<DoneChunk> {
  /** Votes per batch of a sparse label stream (13 bytes each): about 13 MiB. */
  static final int SPARSE_BATCH_VOTES = 1 << 20;

  private final String job;
  private final JobLabelChunks chunks;
  private final Flowable<DoneChunk> units;
  private final boolean sparse;
  private final BufferAllocator allocator;
  private final VectorSchemaRoot root;
  private SparseVotes votes;

  LabelsBody(BufferAllocator parent, String job, JobLabelChunks chunks, Flowable<DoneChunk> units, Schema schema,
      boolean sparse) {
    this.job = job;
    this.chunks = chunks;
    this.units = units;
    this.sparse = sparse;
    this.allocator = parent.newChildAllocator("labels " + job, 0, Long.MAX_VALUE);
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
    if (sparse) {
      votes = new SparseVotes(root, SPARSE_BATCH_VOTES, batch -> {
        out.putNext();
        return true;
      });
    }
  }

  @Override
  public Flowable<DoneChunk> units() {
    return units;
  }

  @Override
  public Batches open(DoneChunk unit) {
    VectorSchemaRoot chunk = chunks.read(job, unit, allocator);
    if (!sparse) {
      return Batches.single(chunk);
    }
    int lfs = chunk.getFieldVectors().size() - 1;
    return new Batches() {
      private int lf;

      /** Adds LF columns until a batch went out (or the chunk is done): one column fills at most a couple of batches. */
      @Override
      public boolean sendNext(StreamOut out) throws Exception {
        while (lf < lfs) {
          long before = out.batches();
          votes.add(chunk, lf, lf + 1);
          lf++;
          if (out.batches() > before) {
            return lf < lfs;
          }
        }
        return false;
      }

      @Override
      public void close() {
        chunk.close();
      }
    };
  }

  @Override
  public Batches finish() {
    if (!sparse) {
      return Batches.NONE;
    }
    return out -> {
      votes.flush();
      return false;
    };
  }

  @Override
  public void close() {
    root.close();
    allocator.close();
  }
}
