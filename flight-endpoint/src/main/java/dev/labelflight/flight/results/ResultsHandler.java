package dev.labelflight.flight.results;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.labelmatrix.SparseVotes;
import dev.labelflight.engine.labelmodel.LabelModel;
import dev.labelflight.engine.labelmodel.LabelModels;
import dev.labelflight.engine.labelmodel.TiePolicy;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.flight.FlightTraffic;
import dev.labelflight.flight.call.BusCalls;
import dev.labelflight.flight.call.Call;
import dev.labelflight.flight.call.Home;
import dev.labelflight.flight.call.TicketSpec;
import dev.labelflight.flight.stream.StreamOut;
import dev.labelflight.verticles.labels.JobLabelChunks;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Streams a job's label chunks as they finish, in row order ({@link JobLabelChunks}), as dense label
 * columns, sparse votes, or a fitted label model's probabilities or predictions computed chunk by chunk.
 */
public final class ResultsHandler {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Votes per batch of a sparse label stream (13 bytes each): about 13 MiB. */
  private static final int SPARSE_BATCH_VOTES = 1 << 20;
  /** Values (rows x classes or LFs) per batch of a model output stream. */
  private static final int MODEL_SLICE_VALUES = 4 << 20;

  private final BufferAllocator allocator;
  private final JobLabelChunks chunks;
  private final Location location;
  private final BusCalls bus;
  private final FlightTraffic traffic;

  public ResultsHandler(BufferAllocator allocator, LabelStore labels, Location location, BusCalls bus,
      FlightTraffic traffic) {
    this.allocator = allocator;
    this.chunks = new JobLabelChunks(labels);
    this.location = location;
    this.bus = bus;
    this.traffic = traffic;
  }

  public List<TicketSpec> tickets() {
    return List.of(
        new TicketSpec("labels/", "labels/JOB, labels/JOB?layout=sparse", Home.JOB, true, this::labels),
        new TicketSpec("probs/", "probs/JOB/MODEL", Home.JOB, true, (call, rest, l) -> modelOutput(call, rest, false, l)),
        new TicketSpec("preds/", "preds/JOB/MODEL", Home.JOB, true, (call, rest, l) -> modelOutput(call, rest, true, l)));
  }

  /** GetFlightInfo {@code ["labels", JOB]}: the dense label stream's schema, ticket and row count. */
  public FlightInfo info(Call call, FlightDescriptor descriptor) throws Exception {
    List<String> path = descriptor.getPath();
    if (path.size() != 2) {
      throw LabelFlightException.invalid("descriptor must be [\"datasets\", NAME(, VERSION)] or [\"labels\", JOB]");
    }
    String job = LabelStore.validateJobId(path.get(1));
    JsonObject status = status(call, job);
    Schema schema = LabelStore.schema(lfNames(status), int16(status));
    return new FlightInfo(schema, descriptor,
        List.of(new FlightEndpoint(new Ticket(("labels/" + job).getBytes(StandardCharsets.UTF_8)), location)),
        -1, status.getLong("rowsTotal"));
  }

  private JsonObject status(Call call, String job) throws Exception {
    return bus.await(call.api().status(job), "the status of job '" + job + "'");
  }

  /** Blocks until more than {@code after} leading chunks of the job are done, or it ended. */
  private JobLabelChunks.Progress progress(Call call) {
    return (job, after) -> bus.await(call.api().awaitProgress(job, after), "the progress of job '" + job + "'");
  }

  /** {@code labels/JOB} (dense) or {@code labels/JOB?layout=sparse} (only the votes, {@link SparseVotes}). */
  private void labels(Call call, String spec, ServerStreamListener listener) throws Exception {
    String[] parts = spec.split("\\?", 2);
    String job = LabelStore.validateJobId(parts[0]);
    boolean sparse = false;
    if (parts.length == 2) {
      if (!parts[1].equals("layout=sparse") && !parts[1].equals("layout=dense")) {
        throw LabelFlightException.invalid("labels ticket takes ?layout=dense or ?layout=sparse; got '?" + parts[1] + "'");
      }
      sparse = parts[1].equals("layout=sparse");
    }
    JsonObject status = status(call, job);
    boolean int16 = int16(status);
    Schema schema = sparse ? SparseVotes.schema(int16) : LabelStore.schema(lfNames(status), int16);
    try (BufferAllocator streamAllocator = allocator.newChildAllocator("labels " + job, 0, Long.MAX_VALUE);
         VectorSchemaRoot root = VectorSchemaRoot.create(schema, streamAllocator)) {
      StreamOut out = new StreamOut(listener, traffic);
      out.start(root);
      SparseVotes votes = !sparse ? null : new SparseVotes(root, SPARSE_BATCH_VOTES, batch -> {
        if (!out.awaitReady()) {
          return false;
        }
        out.putNext();
        return true;
      });
      boolean all = chunks.forEach(job, progress(call), streamAllocator, (index, chunk) -> {
        if (votes != null) {
          return votes.add(chunk);
        }
        if (!out.awaitReady()) {
          return false;
        }
        out.send(chunk);
        return true;
      });
      if (all && (votes == null || votes.flush())) {
        out.completed();
      }
    }
  }

  /**
   * {@code probs/JOB/MODEL}: {@code row_id} and one float32 column per class; {@code preds/JOB/MODEL}:
   * {@code row_id} and an int8 {@code label} (int16 above 127 classes) under the model's tie policy. Computed
   * chunk by chunk.
   */
  private void modelOutput(Call call, String spec, boolean predictions, ServerStreamListener listener)
      throws Exception {
    String[] parts = spec.split("/", -1);
    if (parts.length != 2) {
      throw LabelFlightException.invalid("ticket must be probs/JOB/MODEL or preds/JOB/MODEL");
    }
    String job = LabelStore.validateJobId(parts[0]);
    JsonObject described = bus.await(call.api().labelModel(job, parts[1]),
        "label model '" + parts[1] + "' of job '" + job + "'");
    if (predictions && Boolean.TRUE.equals(described.getValue("multiLabel"))) {
      throw LabelFlightException.invalid("a multi-label model has no single prediction per row; stream probs/" + spec);
    }
    LabelModel model = LabelModels.fromJson(JSON.readTree(described.getJsonObject("params").encode()));
    List<String> classes = new ArrayList<>();
    described.getJsonArray("classes").forEach(c -> classes.add((String) c));
    TiePolicy tiePolicy = TiePolicy.parse(described.getString("tiePolicy"));
    Random random = described.getLong("seed") == null ? new Random() : new Random(described.getLong("seed"));
    boolean wide = classes.size() > Byte.MAX_VALUE;
    Schema schema = predictions ? ModelOutputSchemas.predictions(wide) : ModelOutputSchemas.probabilities(classes);
    try (BufferAllocator streamAllocator = allocator.newChildAllocator("model " + spec, 0, Long.MAX_VALUE);
         VectorSchemaRoot root = VectorSchemaRoot.create(schema, streamAllocator)) {
      StreamOut out = new StreamOut(listener, traffic);
      out.start(root);
      boolean all = chunks.forEach(job, progress(call), streamAllocator, (index, labels) -> {
        if (!out.awaitReady()) {
          return false;
        }
        // Slices of a chunk: probabilities of 1,000 classes for a whole chunk would be a large heap array.
        int total = labels.getRowCount();
        int step = Math.max(1, MODEL_SLICE_VALUES / Math.max(1, Math.max(model.classes(), model.lfs())));
        for (int from = 0; from < total; from += step) {
          if (from > 0 && !out.awaitReady()) {
            return false;
          }
          LabelChunk chunk = LabelChunk.of(labels, from, Math.min(step, total - from));
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
            tiePolicy.predict(probs, rows, chunk.firstRow(), random, predicted);
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
          out.putNext();
        }
        return true;
      });
      if (all) {
        out.completed();
      }
    }
  }

  /** Whether a job's label columns are int16 (more than 127 classes), from its status. */
  private static boolean int16(JsonObject status) {
    return LabelSpace.int16(status.getJsonArray("classes").size());
  }

  private static List<String> lfNames(JsonObject status) {
    List<String> names = new ArrayList<>();
    status.getJsonArray("lfs").forEach(n -> names.add((String) n));
    return names;
  }
}
