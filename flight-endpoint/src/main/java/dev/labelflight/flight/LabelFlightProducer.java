package dev.labelflight.flight;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.labelmodel.LabelModel;
import dev.labelflight.engine.labelmodel.LabelModels;
import dev.labelflight.engine.labelmodel.TiePolicy;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.DictionaryColumns;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.store.MappedChunks;
import dev.labelflight.verticles.bus.LabelFlightApi;
import dev.labelflight.verticles.labels.JobLabelChunks;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.ActionType;
import org.apache.arrow.flight.BackpressureStrategy;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightProducer;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Arrow Flight face of LabelFlight. DoPut {@code datasets/NAME} stores an upload; DoAction
 * {@code apply}, {@code job_status}, {@code cancel} talk to the job coordinator over the event bus;
 * DoGet {@code labels/JOB} streams label chunks in row order as they finish, {@code dataset/NAME@V} a
 * stored version, {@code probs/JOB/MODEL} (and {@code preds/JOB/MODEL}) a fitted label model's output;
 * DoAction {@code analysis} and {@code fit_label_model} go to the label-model verticle. Every call runs on
 * Flight's executor, never on a Vert.x event loop, so it may block.
 */
public final class LabelFlightProducer implements FlightProducer, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LabelFlightProducer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long READY_POLL_MS = 2;
  static final List<ActionType> ACTIONS = List.of(
      new ActionType("apply", "Apply LFs: {dataset, version?, labels, lfs, mode?: auto|resident|queue, user?} -> {job}"),
      new ActionType("job_status", "State and progress of a job: {job} -> status"),
      new ActionType("cancel", "Cancel a job: {job} -> status"),
      new ActionType("drop_dataset", "Delete every version of a dataset and its cached labels: {dataset} -> {dataset, versions}"),
      new ActionType("analysis", "LF analysis (Snorkel definitions) once the job ended: {job, gold?} -> {lfs, totals, rows}"),
      new ActionType("fit_label_model", "Fit a label model on a finished job: {job, model: majority|generative,"
          + " tiePolicy?, seed?, classBalance?, epochs?} -> {model, classes, classBalance, weights}"));

  private final BufferAllocator allocator;
  private final DatasetStore datasets;
  private final LabelStore labels;
  private final LabelFlightApi api;
  private final Location location;
  private final long callTimeoutMs;
  private final JobLabelChunks chunks;
  private final FlightTraffic traffic;
  private volatile boolean shuttingDown;

  /** {@code allocator} becomes the parent of one child per call; it is the caller's to close after this. */
  public LabelFlightProducer(BufferAllocator allocator, DatasetStore datasets, LabelStore labels, LabelFlightApi api,
      Location location, long callTimeoutMs) {
    this(allocator, datasets, labels, api, location, callTimeoutMs, new FlightTraffic());
  }

  /** As above, counting DoPut and DoGet bytes into {@code traffic}. */
  public LabelFlightProducer(BufferAllocator allocator, DatasetStore datasets, LabelStore labels, LabelFlightApi api,
      Location location, long callTimeoutMs, FlightTraffic traffic) {
    this.traffic = traffic;
    this.allocator = allocator;
    this.datasets = datasets;
    this.labels = labels;
    this.api = api;
    this.location = location;
    this.callTimeoutMs = callTimeoutMs;
    this.chunks = new JobLabelChunks(labels);
  }

  // ---- DoPut ------------------------------------------------------------------------------------

  @Override
  public Runnable acceptPut(CallContext context, FlightStream stream, StreamListener<PutResult> ackStream) {
    return () -> {
      String name = null;
      try {
        name = dev.labelflight.engine.store.DatasetNames.validate(datasetName(stream.getDescriptor()));
        refuseIfShuttingDown();
        Schema schema = stream.getSchema();
        // Dictionary columns are stored decoded; their value types are known once the dictionaries
        // (sent before the first batch) have arrived.
        boolean dictionaries = DictionaryColumns.any(schema);
        Manifest manifest;
        try (BufferAllocator uploadAllocator = allocator.newChildAllocator("upload " + name, 0, Long.MAX_VALUE)) {
          DatasetUpload upload = dictionaries ? null : datasets.beginUpload(name, schema, uploadAllocator);
          Schema stored = schema;
          try {
            while (nextBatch(stream, name)) {
              if (context.isCancelled()) {
                throw CallStatus.CANCELLED.withDescription("upload cancelled by the client").toRuntimeException();
              }
              traffic.received(stream.getRoot());
              if (!dictionaries) {
                upload.append(stream.getRoot());
                continue;
              }
              if (upload == null) {
                stored = DictionaryColumns.decodedSchema(schema, stream.getDictionaryProvider());
                upload = datasets.beginUpload(name, stored, uploadAllocator);
              }
              try (VectorSchemaRoot plain = DictionaryColumns.decode(stream.getRoot(), stream.getDictionaryProvider(),
                  stored, uploadAllocator)) {
                upload.append(plain);
              }
            }
            if (upload == null) {
              upload = datasets.beginUpload(name, DictionaryColumns.decodedSchema(schema, stream.getDictionaryProvider()),
                  uploadAllocator);
            }
            manifest = upload.commit();
          } finally {
            if (upload != null) {
              upload.close();
            }
          }
        }
        LOG.info("stored dataset {} v{}: {} rows in {} chunks", manifest.name(), manifest.version(), manifest.rows(),
            manifest.chunks().size());
        byte[] meta = new JsonObject().put("dataset", manifest.name()).put("version", manifest.version())
            .put("rows", manifest.rows()).put("chunks", manifest.chunks().size()).encode()
            .getBytes(StandardCharsets.UTF_8);
        try (BufferAllocator ackAllocator = allocator.newChildAllocator("ack", 0, meta.length + 64L)) {
          ArrowBuf buf = ackAllocator.buffer(meta.length);
          buf.writeBytes(meta);
          try (PutResult result = PutResult.metadata(buf)) {
            ackStream.onNext(result);
          }
        }
        ackStream.onCompleted();
      } catch (Throwable t) {
        LOG.info("upload of {} failed: {}", name, t.toString());
        try {
          ackStream.onError(FlightErrors.toFlight(t));
        } catch (RuntimeException ignored) {
          // The client is already gone.
        }
      }
    };
  }

  /**
   * The next upload batch, in {@code stream.getRoot()}. A client that sends a second schema message makes
   * Flight load later batches into a new root of its own while {@code getRoot()} keeps the first one,
   * which would then be appended again (or, cleared, append nothing): so a batch must replace the root's
   * buffers and Flight's current root must still be it, else the schema changed. A batch that does not
   * decode against the schema fails the same way, as INVALID_ARGUMENT.
   */
  private static boolean nextBatch(FlightStream stream, String name) {
    VectorSchemaRoot root = stream.getRoot();
    List<ArrowBuf> before = root.getFieldVectors().isEmpty() ? List.of() : root.getVector(0).getFieldBuffers();
    boolean more;
    try {
      more = stream.next();
    } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
      String detail = String.valueOf(e.getMessage());
      throw schemaChanged(name, detail.length() > 200 ? detail.substring(0, 200) + "..." : detail);
    }
    if (more && !before.isEmpty()) {
      List<ArrowBuf> after = root.getVector(0).getFieldBuffers();
      boolean loaded = after.size() != before.size();
      for (int i = 0; !loaded && i < after.size(); i++) {
        loaded = after.get(i) != before.get(i);
      }
      if (!loaded || UploadStreams.rootReplaced(stream, root)) {
        throw schemaChanged(name, "a second schema message arrived");
      }
    }
    return more;
  }

  private static LabelFlightException schemaChanged(String name, String detail) {
    return LabelFlightException.invalid("upload of '" + name + "': the schema changed in the middle of the upload,"
        + " or a batch does not match it (" + detail + ")");
  }

  /** From now on uploads and applies fail with UNAVAILABLE (graceful shutdown); reads keep working. */
  public void refuseNewWork() {
    shuttingDown = true;
  }

  private void refuseIfShuttingDown() {
    if (shuttingDown) {
      throw new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE, "shutting down: this node takes no new work");
    }
  }

  private static String datasetName(FlightDescriptor descriptor) {
    if (descriptor.isCommand() || descriptor.getPath().size() != 2 || !descriptor.getPath().get(0).equals("datasets")) {
      throw LabelFlightException.invalid("upload descriptor must be the path [\"datasets\", NAME]");
    }
    return descriptor.getPath().get(1);
  }

  // ---- DoAction ---------------------------------------------------------------------------------

  @Override
  public void doAction(CallContext context, Action action, StreamListener<Result> listener) {
    try {
      String body = new String(action.getBody(), StandardCharsets.UTF_8);
      JsonObject reply = switch (action.getType()) {
        case "apply" -> {
          refuseIfShuttingDown();
          yield new JsonObject().put("job", await(api.apply(body)));
        }
        case "job_status" -> await(api.status(jobOf(body)));
        case "cancel" -> await(api.cancel(jobOf(body)));
        case "drop_dataset" -> await(api.dropDataset(datasetOf(body)));
        case "analysis" -> await(api.analysis(jsonObject(body)));
        case "fit_label_model" -> await(api.fitLabelModel(jsonObject(body)));
        default -> throw LabelFlightException.invalid("unknown action '" + action.getType() + "' (known: "
            + String.join(", ", ACTIONS.stream().map(ActionType::getType).toList()) + ")");
      };
      listener.onNext(new Result(reply.encode().getBytes(StandardCharsets.UTF_8)));
      listener.onCompleted();
    } catch (Throwable t) {
      listener.onError(FlightErrors.toFlight(t));
    }
  }

  /** A dataset name from {@code {"dataset": name}}, checked. */
  private static String datasetOf(String body) {
    try {
      JsonNode node = JSON.readTree(body);
      if (node != null && node.hasNonNull("dataset") && node.get("dataset").isTextual()) {
        return dev.labelflight.engine.store.DatasetNames.validate(node.get("dataset").asText());
      }
    } catch (java.io.IOException e) {
      throw LabelFlightException.invalid("malformed JSON: " + e.getMessage());
    }
    throw LabelFlightException.invalid("body must be {\"dataset\": NAME}");
  }

  /** A job id from {@code {"job": id}} or from the bare id. */
  private static String jobOf(String body) {
    String trimmed = body.trim();
    if (trimmed.startsWith("{")) {
      try {
        JsonNode node = JSON.readTree(trimmed);
        if (node.hasNonNull("job") && node.get("job").isTextual()) {
          return LabelStore.validateJobId(node.get("job").asText());
        }
      } catch (java.io.IOException e) {
        throw LabelFlightException.invalid("malformed JSON: " + e.getMessage());
      }
      throw LabelFlightException.invalid("body must be {\"job\": ID}");
    }
    return LabelStore.validateJobId(trimmed);
  }

  private static JsonObject jsonObject(String body) {
    try {
      return new JsonObject(body);
    } catch (RuntimeException e) {
      throw LabelFlightException.invalid("body must be a JSON object: " + e.getMessage());
    }
  }

  @Override
  public void listActions(CallContext context, StreamListener<ActionType> listener) {
    ACTIONS.forEach(listener::onNext);
    listener.onCompleted();
  }

  // ---- Listing ----------------------------------------------------------------------------------

  @Override
  public void listFlights(CallContext context, Criteria criteria, StreamListener<FlightInfo> listener) {
    try {
      for (String name : datasets.names()) {
        for (int version : datasets.versions(name)) {
          listener.onNext(datasetInfo(datasets.manifest(name, version)));
        }
      }
      listener.onCompleted();
    } catch (Throwable t) {
      listener.onError(FlightErrors.toFlight(t));
    }
  }

  @Override
  public FlightInfo getFlightInfo(CallContext context, FlightDescriptor descriptor) {
    try {
      List<String> path = descriptor.isCommand() ? List.of() : descriptor.getPath();
      if (path.size() >= 2 && path.size() <= 3 && path.get(0).equals("datasets")) {
        Integer version = path.size() == 3 ? parseVersion(path.get(2)) : null;
        return datasetInfo(datasets.manifest(path.get(1), version));
      }
      if (path.size() == 2 && path.get(0).equals("labels")) {
        JsonObject status = await(api.status(LabelStore.validateJobId(path.get(1))));
        Schema schema = LabelStore.schema(lfNames(status));
        return new FlightInfo(schema, descriptor,
            List.of(new FlightEndpoint(new Ticket(("labels/" + path.get(1)).getBytes(StandardCharsets.UTF_8)), location)),
            -1, status.getLong("rowsTotal"));
      }
      throw LabelFlightException.invalid("descriptor must be [\"datasets\", NAME(, VERSION)] or [\"labels\", JOB]");
    } catch (Throwable t) {
      throw FlightErrors.toFlight(t);
    }
  }

  private FlightInfo datasetInfo(Manifest m) {
    byte[] ticket = ("dataset/" + m.name() + "@" + m.version()).getBytes(StandardCharsets.UTF_8);
    byte[] meta = new JsonObject().put("name", m.name()).put("version", m.version()).put("rows", m.rows())
        .put("chunks", m.chunks().size()).put("created", m.createdAt()).encode().getBytes(StandardCharsets.UTF_8);
    return new FlightInfo(m.arrowSchema(), FlightDescriptor.path("datasets", m.name(), String.valueOf(m.version())),
        List.of(new FlightEndpoint(new Ticket(ticket), location)), m.bytes(), m.rows(), true,
        org.apache.arrow.vector.ipc.message.IpcOption.DEFAULT, meta);
  }

  private static Integer parseVersion(String text) {
    try {
      int v = Integer.parseInt(text.startsWith("v") ? text.substring(1) : text);
      if (v < 1) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw LabelFlightException.invalid("'" + text + "' is not a dataset version");
    }
  }

  // ---- DoGet ------------------------------------------------------------------------------------

  @Override
  public void getStream(CallContext context, Ticket ticket, ServerStreamListener listener) {
    String text = new String(ticket.getBytes(), StandardCharsets.UTF_8);
    try {
      if (text.startsWith("labels/")) {
        streamLabels(LabelStore.validateJobId(text.substring("labels/".length())), listener);
      } else if (text.startsWith("dataset/")) {
        streamDataset(text.substring("dataset/".length()), listener);
      } else if (text.startsWith("probs/")) {
        streamModelOutput(text.substring("probs/".length()), false, listener);
      } else if (text.startsWith("preds/")) {
        streamModelOutput(text.substring("preds/".length()), true, listener);
      } else {
        throw LabelFlightException.invalid("unknown ticket '" + text
            + "' (known: labels/JOB, dataset/NAME@VERSION, probs/JOB/MODEL, preds/JOB/MODEL)");
      }
    } catch (Throwable t) {
      listener.error(FlightErrors.toFlight(t));
    }
  }

  private void streamLabels(String job, ServerStreamListener listener) throws Exception {
    JsonObject status = await(api.status(job));
    try (BufferAllocator streamAllocator = allocator.newChildAllocator("labels " + job, 0, Long.MAX_VALUE);
         VectorSchemaRoot root = VectorSchemaRoot.create(LabelStore.schema(lfNames(status)), streamAllocator)) {
      BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
      backpressure.register(listener);
      listener.start(root);
      boolean all = chunks.forEach(job, this::awaitProgress, streamAllocator, (index, chunk) -> {
        if (!waitUntilReady(backpressure, listener)) {
          return false;
        }
        send(chunk, root, listener);
        return true;
      });
      if (all) {
        listener.completed();
      }
    }
  }

  private JsonObject awaitProgress(String job, int after) throws Exception {
    return await(api.awaitProgress(job, after));
  }

  /**
   * {@code probs/JOB/MODEL}: {@code row_id} and one float32 column per class; {@code preds/JOB/MODEL}:
   * {@code row_id} and an int8 {@code label} under the model's tie policy. Computed chunk by chunk.
   */
  private void streamModelOutput(String spec, boolean predictions, ServerStreamListener listener) throws Exception {
    String[] parts = spec.split("/", -1);
    if (parts.length != 2) {
      throw LabelFlightException.invalid("ticket must be probs/JOB/MODEL or preds/JOB/MODEL");
    }
    String job = LabelStore.validateJobId(parts[0]);
    JsonObject described = await(api.labelModel(job, parts[1]));
    LabelModel model = LabelModels.fromJson(JSON.readTree(described.getJsonObject("params").encode()));
    List<String> classes = new ArrayList<>();
    described.getJsonArray("classes").forEach(c -> classes.add((String) c));
    TiePolicy tiePolicy = TiePolicy.parse(described.getString("tiePolicy"));
    Random random = described.getLong("seed") == null ? new Random() : new Random(described.getLong("seed"));
    Schema schema = predictions ? predictionSchema() : probabilitySchema(classes);
    try (BufferAllocator streamAllocator = allocator.newChildAllocator("model " + spec, 0, Long.MAX_VALUE);
         VectorSchemaRoot root = VectorSchemaRoot.create(schema, streamAllocator)) {
      BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
      backpressure.register(listener);
      listener.start(root);
      boolean all = chunks.forEach(job, this::awaitProgress, streamAllocator, (index, labels) -> {
        if (!waitUntilReady(backpressure, listener)) {
          return false;
        }
        LabelChunk chunk = LabelChunk.of(labels);
        int rows = chunk.rows();
        double[][] probs = new double[model.classes()][rows];
        model.predictProba(chunk, probs);
        BigIntVector rowId = (BigIntVector) root.getVector(0);
        rowId.allocateNew(rows);
        BigIntVector sourceRowId = (BigIntVector) labels.getVector(0);
        for (int r = 0; r < rows; r++) {
          rowId.set(r, sourceRowId.get(r));
        }
        rowId.setValueCount(rows);
        if (predictions) {
          byte[] out = new byte[rows];
          tiePolicy.predict(probs, rows, chunk.firstRow(), random, out);
          TinyIntVector label = (TinyIntVector) root.getVector(1);
          label.allocateNew(rows);
          for (int r = 0; r < rows; r++) {
            label.set(r, out[r]);
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
        traffic.sent(root);
        listener.putNext();
        return true;
      });
      if (all) {
        listener.completed();
      }
    }
  }

  private static Schema probabilitySchema(List<String> classes) {
    List<Field> fields = new ArrayList<>();
    fields.add(new Field(LabelStore.ROW_ID, FieldType.notNullable(new ArrowType.Int(64, true)), null));
    for (String c : classes) {
      if (c.equals(LabelStore.ROW_ID)) {
        throw LabelFlightException.invalid("a class named 'row_id' clashes with the row id column");
      }
      fields.add(new Field(c, FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null));
    }
    return new Schema(fields);
  }

  private static Schema predictionSchema() {
    return new Schema(List.of(
        new Field(LabelStore.ROW_ID, FieldType.notNullable(new ArrowType.Int(64, true)), null),
        new Field("label", FieldType.notNullable(new ArrowType.Int(8, true)), null)));
  }

  private void streamDataset(String spec, ServerStreamListener listener) throws Exception {
    int at = spec.lastIndexOf('@');
    if (at < 0) {
      throw LabelFlightException.invalid("dataset ticket must be dataset/NAME@VERSION");
    }
    Manifest manifest = datasets.manifest(spec.substring(0, at), parseVersion(spec.substring(at + 1)));
    try (BufferAllocator streamAllocator = allocator.newChildAllocator("dataset " + spec, 0, Long.MAX_VALUE);
         VectorSchemaRoot root = VectorSchemaRoot.create(manifest.arrowSchema(), streamAllocator)) {
      BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
      backpressure.register(listener);
      listener.start(root);
      for (int i = 0; i < manifest.chunks().size(); i++) {
        if (!waitUntilReady(backpressure, listener)) {
          return;
        }
        try (VectorSchemaRoot chunk = MappedChunks.read(datasets, manifest, i, streamAllocator)) {
          send(chunk, root, listener);
        }
      }
      listener.completed();
    }
  }

  /** Moves a chunk's buffers into the stream's root and sends them. */
  private void send(VectorSchemaRoot chunk, VectorSchemaRoot root, ServerStreamListener listener) {
    try (ArrowRecordBatch batch = new VectorUnloader(chunk).getRecordBatch()) {
      new VectorLoader(root).load(batch);
      traffic.sent(root);
      listener.putNext();
    }
  }

  /** Waits for the client to take more; false if it went away. */
  private boolean waitUntilReady(BackpressureStrategy backpressure, ServerStreamListener listener) {
    while (true) {
      if (listener.isCancelled()) {
        return false;
      }
      // Flight delivers the onReady callback on the call's serialized executor, which this getStream
      // occupies until it returns, so the callback never wakes us: re-check isReady in short waits.
      BackpressureStrategy.WaitResult result = backpressure.waitForListener(READY_POLL_MS);
      switch (result) {
        case READY:
          return true;
        case CANCELLED:
          return false;
        case TIMEOUT:
          continue;
        default:
          throw LabelFlightException.internal("stream failed while waiting for the client", null);
      }
    }
  }

  private static List<String> lfNames(JsonObject status) {
    List<String> names = new ArrayList<>();
    status.getJsonArray("lfs").forEach(n -> names.add((String) n));
    return names;
  }

  private <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(callTimeoutMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw (Exception) (e.getCause() instanceof Exception c ? c : e);
    } catch (TimeoutException e) {
      throw new LabelFlightException(LabelFlightException.Kind.TIMED_OUT, "no answer within " + callTimeoutMs + " ms");
    }
  }

  @Override
  public void close() {
  }
}
