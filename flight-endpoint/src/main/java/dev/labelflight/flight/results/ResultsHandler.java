package dev.labelflight.flight.results;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.SparseVotes;
import dev.labelflight.engine.labelmodel.LabelModel;
import dev.labelflight.engine.labelmodel.LabelModels;
import dev.labelflight.engine.labelmodel.TiePolicy;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.flight.call.BusCalls;
import dev.labelflight.flight.call.Call;
import dev.labelflight.flight.call.Home;
import dev.labelflight.flight.call.TicketSpec;
import dev.labelflight.flight.stream.StreamBody;
import dev.labelflight.verticles.labels.JobLabelChunks;
import dev.labelflight.verticles.labels.JobLabelChunks.DoneChunk;
import io.reactivex.rxjava3.core.Flowable;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Streams a job's label chunks as they finish, in row order ({@link JobLabelChunks#feed}), as dense label
 * columns, sparse votes ({@link LabelsBody}), or a fitted label model's probabilities or predictions
 * computed chunk by chunk ({@link ModelOutputBody}).
 */
public final class ResultsHandler {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final BufferAllocator allocator;
  private final JobLabelChunks chunks;
  private final Location location;
  private final BusCalls bus;

  public ResultsHandler(BufferAllocator allocator, LabelStore labels, Location location, BusCalls bus) {
    this.allocator = allocator;
    this.chunks = new JobLabelChunks(labels);
    this.location = location;
    this.bus = bus;
  }

  public List<TicketSpec> tickets() {
    return List.of(
        new TicketSpec("labels/", "labels/JOB, labels/JOB?layout=sparse", Home.JOB, true, this::labels),
        new TicketSpec("probs/", "probs/JOB/MODEL", Home.JOB, true, (call, rest) -> modelOutput(call, rest, false)),
        new TicketSpec("preds/", "preds/JOB/MODEL", Home.JOB, true, (call, rest) -> modelOutput(call, rest, true)));
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

  /** The job's label chunks as they finish, asking the coordinator for the caller. */
  private Flowable<DoneChunk> feed(Call call, String job, JsonObject status) {
    return JobLabelChunks.feed(job, status.getInteger("chunksTotal"), (j, after) -> call.api().awaitProgress(j, after));
  }

  /** {@code labels/JOB} (dense) or {@code labels/JOB?layout=sparse} (only the votes, {@link SparseVotes}). */
  private StreamBody<?> labels(Call call, String spec) throws Exception {
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
    return new LabelsBody(allocator, job, chunks, feed(call, job, status), schema, sparse);
  }

  /**
   * {@code probs/JOB/MODEL}: {@code row_id} and one float32 column per class; {@code preds/JOB/MODEL}:
   * {@code row_id} and an int8 {@code label} (int16 above 127 classes) under the model's tie policy.
   */
  private StreamBody<?> modelOutput(Call call, String spec, boolean predictions) throws Exception {
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
    TiePolicy.Breaker ties = TiePolicy.parse(described.getString("tiePolicy"))
        .with(described.getLong("seed"), model.classBalance());
    // The model's LFs among this job's columns (a stored model predicts on any job that has its LFs).
    JsonArray columnList = described.getJsonArray("columns");
    int[] columns = columnList == null ? null : columnList.stream().mapToInt(c -> ((Number) c).intValue()).toArray();
    boolean wide = classes.size() > Byte.MAX_VALUE;
    Schema schema = predictions ? ModelOutputSchemas.predictions(wide) : ModelOutputSchemas.probabilities(classes);
    JsonObject status = status(call, job);
    return new ModelOutputBody(allocator, spec, job, chunks, feed(call, job, status), schema, model, predictions, wide,
        ties, columns);
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
