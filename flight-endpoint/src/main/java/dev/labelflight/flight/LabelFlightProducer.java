package dev.labelflight.flight;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.derive.DerivedColumn;
import dev.labelflight.engine.derive.DerivedColumnStore;
import dev.labelflight.engine.labelmatrix.SparseVotes;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.labelmodel.LabelModel;
import dev.labelflight.engine.labelmodel.LabelModels;
import dev.labelflight.engine.labelmodel.TiePolicy;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.DictionaryColumns;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.bus.LabelFlightApi;
import dev.labelflight.verticles.labels.JobLabelChunks;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import io.grpc.Context;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import dev.labelflight.cluster.ClusterDirectory.NodeInfo;
import dev.labelflight.flight.cluster.CallRouter;
import dev.labelflight.flight.cluster.NodeClients;
import java.util.Optional;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.CallOptions;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.SyncPutListener;
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
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.compression.NoCompressionCodec;
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
  /** ListFlights criteria that asks a node for its own datasets only (nodes list each other with it). */
  static final String LOCAL_LISTING = "local";
  /** Votes per batch of a sparse label stream (13 bytes each): about 13 MiB. */
  private static final int SPARSE_BATCH_VOTES = 1 << 20;
  static final List<ActionType> ACTIONS = List.of(
      new ActionType("apply", "Apply LFs: {dataset, version?, labels, lfs, mode?: auto|resident|queue, multiLabel?} -> {job},"
          + " owned by the caller"),
      new ActionType("job_status", "State and progress of a job: {job} -> status"),
      new ActionType("cancel", "Cancel a job: {job} -> status"),
      new ActionType("drop_dataset", "Delete every version of a dataset and its cached labels: {dataset} -> {dataset, versions}"),
      new ActionType("derive", "Store a derived column for every LF to read: {dataset, version?, name, kind:"
          + " lowercase|length|token_count|regex_extract, column, pattern?, replace?} -> {dataset, version, column, rows}"),
      new ActionType("analysis", "LF analysis (Snorkel definitions) once the job ended: {job, gold?} -> {lfs, totals, rows}"),
      new ActionType("fit_label_model", "Fit a label model on a finished job: {job, model: majority|generative,"
          + " tiePolicy?, seed?, classBalance?, epochs?} -> {model, classes, classBalance, weights}"),
      new ActionType("manifest", "The manifest of a dataset version this node owns (nodes read each other's): {dataset, version} -> manifest"));

  private final BufferAllocator allocator;
  private final DatasetStore datasets;
  private final DerivedColumnStore derived;
  private final LabelStore labels;
  private final LabelFlightApi api;
  private final Location location;
  private final long callTimeoutMs;
  private final JobLabelChunks chunks;
  private final FlightTraffic traffic;
  private final CallRouter router;
  /** Runs DoGet streams, apart from Flight's executor. */
  private final Executor streams;
  private final NodeClients clients;
  /** LF sets and dev sets for the Python client (the web page's, shared). */
  private final LfSetFlight lfSets;
  private volatile boolean shuttingDown;

  /**
   * {@code allocator} becomes the parent of one child per call; it is the caller's to close after this.
   * Calls for datasets or jobs of another node go there through {@code router} and {@code clients}.
   */
  public LabelFlightProducer(BufferAllocator allocator, DatasetStore datasets, LabelStore labels, LabelFlightApi api,
      Location location, long callTimeoutMs, FlightTraffic traffic, CallRouter router, NodeClients clients,
      Executor streams) {
    this(allocator, datasets, labels, api, location, callTimeoutMs, traffic, router, clients, streams, null);
  }

  /** As above, with the dev sets of the node ({@code null}: a store under the datasets' data directory is not known, dev-set calls fail). */
  public LabelFlightProducer(BufferAllocator allocator, DatasetStore datasets, LabelStore labels, LabelFlightApi api,
      Location location, long callTimeoutMs, FlightTraffic traffic, CallRouter router, NodeClients clients,
      Executor streams, dev.labelflight.engine.devset.DevSetStore devSets) {
    this.lfSets = new LfSetFlight(allocator, datasets, devSets);
    this.streams = streams;
    this.router = router;
    this.clients = clients;
    this.traffic = traffic;
    this.allocator = allocator;
    this.datasets = datasets;
    this.derived = new DerivedColumnStore(datasets);
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
      if (RowSelectionUpload.isFor(stream.getDescriptor())) {
        acceptSelection(context, stream, ackStream);
        return;
      }
      if (LfSetFlight.isDevSetPut(stream.getDescriptor())) {
        try {
          String user = user(context);
          Optional<NodeInfo> home = datasetHome(user, stream.getDescriptor().getPath().get(1));
          if (home.isPresent()) {
            relayPut(home.get(), user, context, stream, ackStream);
          } else {
            lfSets.acceptDevSet(user, stream, ackStream);
          }
        } catch (Throwable t) {
          ackStream.onError(FlightErrors.toFlight(t));
        }
        return;
      }
      String name = null;
      try {
        name = DatasetNames.qualify(user(context), datasetName(stream.getDescriptor()));
        refuseIfShuttingDown();
        Optional<NodeInfo> owner = router.claim(name);
        if (owner.isPresent()) {
          relayPut(owner.get(), user(context), context, stream, ackStream);
          return;
        }
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
            // A client that cancels the call (or drops the connection) ends the stream like a finished one:
            // what it sent is not a version.
            if (context.isCancelled()) {
              throw CallStatus.CANCELLED.withDescription("upload cancelled by the client").toRuntimeException();
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
        byte[] meta = new JsonObject().put("dataset", DatasetNames.display(manifest.name())).put("version", manifest.version())
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
        releaseIfEmpty(name);
        try {
          ackStream.onError(FlightErrors.toFlight(t));
        } catch (RuntimeException ignored) {
          // The client is already gone.
        }
      }
    };
  }

  /**
   * DoPut {@code ["selections", JOB]}: row ids of the caller's job, kept beside its labels as a bitmap; acks
   * {@code {"selection": ID, "rows": N}} for {@code analysis} / {@code fit_label_model} to name.
   */
  private void acceptSelection(CallContext context, FlightStream stream, StreamListener<PutResult> ackStream) {
    try {
      String user = user(context);
      String job = LabelStore.validateJobId(stream.getDescriptor().getPath().get(1));
      Optional<NodeInfo> home = router.forJob(job);
      if (home.isPresent()) {
        relayPut(home.get(), user, context, stream, ackStream);
        return;
      }
      JsonObject status = await(api.forUser(user).status(job));
      var bitmap = RowSelectionUpload.read(stream, status.getLong("rowsTotal"), context::isCancelled);
      String id = java.util.UUID.randomUUID().toString();
      bitmap.write(labels.selectionFile(job, id));
      byte[] meta = new JsonObject().put("selection", id).put("job", job).put("rows", bitmap.count()).encode()
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
      try {
        ackStream.onError(FlightErrors.toFlight(t));
      } catch (RuntimeException ignored) {
        // The client is already gone.
      }
    }
  }

  /** A name claimed for an upload that stored nothing goes back, so that another node may own it. */
  private void releaseIfEmpty(String name) {
    try {
      if (name != null && router.clustered() && datasets.versions(name).isEmpty()) {
        router.release(name);
      }
    } catch (RuntimeException e) {
      LOG.debug("could not release dataset name {}: {}", name, e.toString());
    }
  }

  /** Relays an upload to the node that owns the dataset, and its acknowledgement back. */
  private void relayPut(NodeInfo owner, String user, CallContext context, FlightStream stream,
      StreamListener<PutResult> ackStream)
      throws Exception {
    SyncPutListener ack = new SyncPutListener();
    FlightClient.ClientStreamListener out = clients.client(owner.flight()).startPut(stream.getDescriptor(),
        stream.getRoot(), stream.getDictionaryProvider(), ack, clients.options(user));
    try {
      while (nextBatch(stream, stream.getDescriptor().getPath().get(1))) {
        if (context.isCancelled()) {
          throw CallStatus.CANCELLED.withDescription("upload cancelled by the client").toRuntimeException();
        }
        while (!out.isReady()) {
          Thread.sleep(READY_POLL_MS);
        }
        traffic.received(stream.getRoot());
        out.putNext();
      }
      out.completed();
    } catch (Throwable t) {
      out.error(t);
      throw t;
    }
    try (PutResult result = ack.read()) {
      if (result != null && result.getApplicationMetadata() != null) {
        ArrowBuf meta = result.getApplicationMetadata();
        meta.getReferenceManager().retain();
        try (PutResult copy = PutResult.metadata(meta)) {
          ackStream.onNext(copy);
        }
      }
    }
    ack.getResult();
    ackStream.onCompleted();
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
    if (more && stream.getLatestMetadata() != null) {
      UploadStreams.refuseIfAborted(stream.getLatestMetadata(), name);
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
      String user = user(context);
      LabelFlightApi api = this.api.forUser(user);
      String body = new String(action.getBody(), StandardCharsets.UTF_8);
      Optional<NodeInfo> home = switch (action.getType()) {
        case "apply", "drop_dataset", "derive", "lfset_get", "lfset_put", "lfset_history", "dev_set_info" ->
            datasetHome(user, fieldOf(body, "dataset"));
        case "job_status", "cancel", "analysis", "fit_label_model" -> router.forJob(fieldOf(body, "job"));
        default -> Optional.empty();
      };
      if (home.isPresent()) {
        if (action.getType().equals("apply")) {
          refuseIfShuttingDown();
        }
        relayAction(home.get(), user, action, listener);
        return;
      }
      if (action.getType().equals("manifest")) {
        internalOnly(user, "the manifest action");
        JsonObject request = jsonObject(body);
        listener.onNext(new Result(datasets.manifest(request.getString("dataset"), request.getInteger("version")).toBytes()));
        listener.onCompleted();
        return;
      }
      JsonObject reply = switch (action.getType()) {
        case "apply" -> {
          refuseIfShuttingDown();
          yield new JsonObject().put("job", await(api.apply(body)));
        }
        case "job_status" -> await(api.status(jobOf(body)));
        case "cancel" -> await(api.cancel(jobOf(body)));
        case "drop_dataset" -> {
          String dataset = datasetOf(body);
          JsonObject dropped = await(api.dropDataset(dataset));
          router.release(DatasetNames.qualify(user, dataset));
          yield dropped;
        }
        case "derive" -> {
          refuseIfShuttingDown();
          yield await(api.derive(jsonObject(body)));
        }
        case "analysis" -> await(api.analysis(jsonObject(body)));
        case "fit_label_model" -> await(api.fitLabelModel(jsonObject(body)));
        case "lfset_get", "lfset_put", "lfset_history", "dev_set_info" ->
            await(lfSets.action(api, action.getType(), jsonObject(body)));
        default -> throw LabelFlightException.invalid("unknown action '" + action.getType() + "' (known: "
            + String.join(", ", ACTIONS.stream().map(ActionType::getType).toList()) + ")");
      };
      listener.onNext(new Result(reply.encode().getBytes(StandardCharsets.UTF_8)));
      listener.onCompleted();
    } catch (Throwable t) {
      listener.onError(FlightErrors.toFlight(t));
    }
  }

  /** A string field of a JSON body, or the bare text for {@code job}; null if there is none (the local call then says what is wrong). */
  private static String fieldOf(String body, String field) {
    String trimmed = body.trim();
    if (!trimmed.startsWith("{")) {
      return field.equals("job") && !trimmed.isEmpty() ? trimmed : null;
    }
    try {
      JsonNode node = JSON.readTree(trimmed);
      return node != null && node.hasNonNull(field) && node.get(field).isTextual() ? node.get(field).asText() : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  private void relayAction(NodeInfo to, String user, Action action, StreamListener<Result> listener) {
    try {
      var results = clients.client(to.flight()).doAction(action,
          clients.options(user, CallOptions.timeout(callTimeoutMs, TimeUnit.MILLISECONDS)));
      while (results.hasNext()) {
        listener.onNext(results.next());
      }
      listener.onCompleted();
    } catch (FlightRuntimeException e) {
      listener.onError(e);
    }
  }

  /** The other node that owns the caller's dataset {@code name}; empty for here, or if the name is bad (the local call says why). */
  private Optional<NodeInfo> datasetHome(String user, String name) {
    if (name == null || !router.clustered()) {
      return Optional.empty();
    }
    try {
      return router.forDataset(DatasetNames.qualify(user, name));
    } catch (LabelFlightException badName) {
      return Optional.empty();
    }
  }

  /**
   * Node-to-node calls (manifests, chunk tickets) read datasets by their stored names: only for calls
   * that carry no user, which with authentication on means another node's.
   */
  private void internalOnly(String user, String what) {
    if (user != null) {
      throw LabelFlightException.notFound(what + " is for LabelFlight nodes only");
    }
  }

  /** A dataset name from {@code {"dataset": name}}, checked. */
  private static String datasetOf(String body) {
    try {
      JsonNode node = JSON.readTree(body);
      if (node != null && node.hasNonNull("dataset") && node.get("dataset").isTextual()) {
        return DatasetNames.validate(node.get("dataset").asText());
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
    LfSetFlight.ACTIONS.forEach(listener::onNext);
    listener.onCompleted();
  }

  // ---- Listing ----------------------------------------------------------------------------------

  @Override
  public void listFlights(CallContext context, Criteria criteria, StreamListener<FlightInfo> listener) {
    try {
      String user = user(context);
      for (String name : datasets.names()) {
        if (!DatasetNames.ownedBy(name, user)) {
          continue;
        }
        for (int version : datasets.versions(name)) {
          listener.onNext(datasetInfo(datasets.manifest(name, version)));
        }
      }
      boolean localOnly = criteria != null && criteria.getExpression() != null
          && new String(criteria.getExpression(), StandardCharsets.UTF_8).equals(LOCAL_LISTING);
      if (!localOnly) {
        for (NodeInfo other : router.others()) {
          try {
            for (FlightInfo info : clients.client(other.flight()).listFlights(
                new Criteria(LOCAL_LISTING.getBytes(StandardCharsets.UTF_8)),
                clients.options(user, CallOptions.timeout(callTimeoutMs, TimeUnit.MILLISECONDS)))) {
              listener.onNext(info);
            }
          } catch (FlightRuntimeException e) {
            LOG.warn("listing of node {} left out: {}", other.nodeId(), e.getMessage());
          }
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
      String user = user(context);
      Optional<NodeInfo> home = path.size() < 2 ? Optional.empty()
          : path.get(0).equals("datasets") ? datasetHome(user, path.get(1))
          : path.get(0).equals("labels") ? router.forJob(path.get(1)) : Optional.empty();
      if (home.isPresent()) {
        return clients.client(home.get().flight()).getInfo(descriptor,
            clients.options(user, CallOptions.timeout(callTimeoutMs, TimeUnit.MILLISECONDS)));
      }
      if (path.size() >= 2 && path.size() <= 3 && path.get(0).equals("datasets")) {
        Integer version = path.size() == 3 ? parseVersion(path.get(2)) : null;
        return datasetInfo(datasets.manifest(DatasetNames.qualify(user(context), path.get(1)), version));
      }
      if (path.size() == 2 && path.get(0).equals("labels")) {
        JsonObject status = await(api.forUser(user).status(LabelStore.validateJobId(path.get(1))));
        Schema schema = LabelStore.schema(lfNames(status), int16(status));
        return new FlightInfo(schema, descriptor,
            List.of(new FlightEndpoint(new Ticket(("labels/" + path.get(1)).getBytes(StandardCharsets.UTF_8)), location)),
            -1, status.getLong("rowsTotal"));
      }
      throw LabelFlightException.invalid("descriptor must be [\"datasets\", NAME(, VERSION)] or [\"labels\", JOB]");
    } catch (Throwable t) {
      throw FlightErrors.toFlight(t);
    }
  }

  /** Describes a stored version by the name its owner uses (tickets and descriptors are resolved per caller). */
  private FlightInfo datasetInfo(Manifest m) {
    String name = DatasetNames.display(m.name());
    byte[] ticket = ("dataset/" + name + "@" + m.version()).getBytes(StandardCharsets.UTF_8);
    byte[] meta = new JsonObject().put("name", name).put("version", m.version()).put("rows", m.rows())
        .put("chunks", m.chunks().size()).put("created", m.createdAt()).encode().getBytes(StandardCharsets.UTF_8);
    return new FlightInfo(derived.schema(m), FlightDescriptor.path("datasets", name, String.valueOf(m.version())),
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
    // A stream may wait for its job's chunks for minutes: it runs on a pool of its own so that it does not
    // hold one of Flight's threads, which stay free for short calls (job_status, apply, listings).
    try {
      streams.execute(Context.current().wrap(() -> serveStream(context, ticket, listener)));
    } catch (RejectedExecutionException e) {
      listener.error(CallStatus.UNAVAILABLE
          .withDescription("too many streams open on this node; retry later").toRuntimeException());
    }
  }

  private void serveStream(CallContext context, Ticket ticket, ServerStreamListener listener) {
    String text = new String(ticket.getBytes(), StandardCharsets.UTF_8);
    try {
      String user = user(context);
      LabelFlightApi api = this.api.forUser(user);
      Optional<NodeInfo> home = homeOf(user, text);
      if (home.isPresent()) {
        relayStream(home.get(), user, ticket, listener);
        return;
      }
      if (text.startsWith("chunk/")) {
        internalOnly(user, "chunk tickets");
        streamChunk(text.substring("chunk/".length()), listener);
        return;
      }
      if (text.startsWith("labels/")) {
        streamLabels(api, text.substring("labels/".length()), listener);
      } else if (text.startsWith("dataset/")) {
        streamDataset(user, text.substring("dataset/".length()), listener);
      } else if (text.startsWith("probs/")) {
        streamModelOutput(api, text.substring("probs/".length()), false, listener);
      } else if (text.startsWith("preds/")) {
        streamModelOutput(api, text.substring("preds/".length()), true, listener);
      } else if (LfSetFlight.isDevSetTicket(text)) {
        lfSets.streamDevSet(user, text, listener);
      } else {
        throw LabelFlightException.invalid("unknown ticket '" + text
            + "' (known: labels/JOB, labels/JOB?layout=sparse, dataset/NAME@VERSION, dataset/NAME@VERSION?columns=A,B,"
            + " probs/JOB/MODEL, preds/JOB/MODEL)");
      }
    } catch (Throwable t) {
      listener.error(FlightErrors.toFlight(t));
    }
  }

  /** The other node that serves a ticket: a job's node for labels and model outputs, a dataset's owner for its data. */
  private Optional<NodeInfo> homeOf(String user, String ticket) {
    for (String prefix : List.of("labels/", "probs/", "preds/")) {
      if (ticket.startsWith(prefix)) {
        String rest = ticket.substring(prefix.length()).split("\\?", 2)[0];
        int slash = rest.indexOf('/');
        return router.forJob(slash < 0 ? rest : rest.substring(0, slash));
      }
    }
    if (LfSetFlight.isDevSetTicket(ticket)) {
      return datasetHome(user, LfSetFlight.ticketDataset(ticket));
    }
    if (ticket.startsWith("dataset/") && ticket.lastIndexOf('@') > "dataset/".length()) {
      return router.forDataset(DatasetNames.qualify(user, ticket.substring("dataset/".length(), ticket.lastIndexOf('@'))));
    }
    return Optional.empty();
  }

  /** Streams another node's answer to a ticket through, batch by batch, at the pace of our client. */
  private void relayStream(NodeInfo from, String user, Ticket ticket, ServerStreamListener listener) throws Exception {
    try (FlightStream in = clients.client(from.flight()).getStream(ticket, clients.options(user))) {
      BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
      backpressure.register(listener);
      listener.start(in.getRoot(), in.getDictionaryProvider());
      while (in.next()) {
        if (!waitUntilReady(backpressure, listener)) {
          in.cancel("the client went away", null);
          return;
        }
        traffic.sent(in.getRoot());
        listener.putNext();
      }
      listener.completed();
    }
  }

  /** {@code chunk/NAME@V/I}: one stored chunk of a dataset this node owns, for a node that runs a task on it. */
  private void streamChunk(String spec, ServerStreamListener listener) throws Exception {
    int at = spec.lastIndexOf('@');
    int slash = spec.lastIndexOf('/');
    if (at < 0 || slash < at) {
      throw LabelFlightException.invalid("chunk ticket must be chunk/NAME@VERSION/INDEX");
    }
    int index;
    try {
      index = Integer.parseInt(spec.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw LabelFlightException.invalid("'" + spec.substring(slash + 1) + "' is not a chunk index");
    }
    Manifest manifest = datasets.manifest(spec.substring(0, at), parseVersion(spec.substring(at + 1, slash)));
    manifest.chunk(index);
    try (BufferAllocator streamAllocator = allocator.newChildAllocator("chunk " + spec, 0, Long.MAX_VALUE);
         VectorSchemaRoot root = VectorSchemaRoot.create(manifest.arrowSchema(), streamAllocator);
         VectorSchemaRoot chunk = dev.labelflight.engine.store.MappedChunks.read(datasets, manifest, index, streamAllocator)) {
      listener.start(root);
      send(chunk, root, listener);
      listener.completed();
    }
  }

  /** {@code labels/JOB} (dense) or {@code labels/JOB?layout=sparse} (only the votes, {@link SparseVotes}). */
  private void streamLabels(LabelFlightApi api, String spec, ServerStreamListener listener) throws Exception {
    String[] parts = spec.split("\\?", 2);
    String job = LabelStore.validateJobId(parts[0]);
    boolean sparse = false;
    if (parts.length == 2) {
      if (!parts[1].equals("layout=sparse") && !parts[1].equals("layout=dense")) {
        throw LabelFlightException.invalid("labels ticket takes ?layout=dense or ?layout=sparse; got '?" + parts[1] + "'");
      }
      sparse = parts[1].equals("layout=sparse");
    }
    JsonObject status = await(api.status(job));
    boolean int16 = int16(status);
    Schema schema = sparse ? SparseVotes.schema(int16) : LabelStore.schema(lfNames(status), int16);
    try (BufferAllocator streamAllocator = allocator.newChildAllocator("labels " + job, 0, Long.MAX_VALUE);
         VectorSchemaRoot root = VectorSchemaRoot.create(schema, streamAllocator)) {
      BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
      backpressure.register(listener);
      listener.start(root);
      SparseVotes votes = !sparse ? null : new SparseVotes(root, SPARSE_BATCH_VOTES, batch -> {
        if (!waitUntilReady(backpressure, listener)) {
          return false;
        }
        traffic.sent(batch);
        listener.putNext();
        return true;
      });
      boolean all = chunks.forEach(job, (j, after) -> await(api.awaitProgress(j, after)), streamAllocator, (index, chunk) -> {
        if (votes != null) {
          return votes.add(chunk);
        }
        if (!waitUntilReady(backpressure, listener)) {
          return false;
        }
        send(chunk, root, listener);
        return true;
      });
      if (all && (votes == null || votes.flush())) {
        listener.completed();
      }
    }
  }

  /** Values (rows x classes or LFs) per batch of a model output stream. */
  private static final int MODEL_SLICE_VALUES = 4 << 20;

  /** Whether a job's label columns are int16 (more than 127 classes), from its status. */
  private static boolean int16(JsonObject status) {
    return LabelSpace.int16(status.getJsonArray("classes").size());
  }

  /**
   * {@code probs/JOB/MODEL}: {@code row_id} and one float32 column per class; {@code preds/JOB/MODEL}:
   * {@code row_id} and an int8 {@code label} (int16 above 127 classes) under the model's tie policy. Computed
   * chunk by chunk.
   */
  private void streamModelOutput(LabelFlightApi api, String spec, boolean predictions, ServerStreamListener listener)
      throws Exception {
    String[] parts = spec.split("/", -1);
    if (parts.length != 2) {
      throw LabelFlightException.invalid("ticket must be probs/JOB/MODEL or preds/JOB/MODEL");
    }
    String job = LabelStore.validateJobId(parts[0]);
    JsonObject described = await(api.labelModel(job, parts[1]));
    if (predictions && Boolean.TRUE.equals(described.getValue("multiLabel"))) {
      throw LabelFlightException.invalid("a multi-label model has no single prediction per row; stream probs/" + spec);
    }
    LabelModel model = LabelModels.fromJson(JSON.readTree(described.getJsonObject("params").encode()));
    List<String> classes = new ArrayList<>();
    described.getJsonArray("classes").forEach(c -> classes.add((String) c));
    TiePolicy tiePolicy = TiePolicy.parse(described.getString("tiePolicy"));
    Random random = described.getLong("seed") == null ? new Random() : new Random(described.getLong("seed"));
    boolean wide = classes.size() > Byte.MAX_VALUE;
    Schema schema = predictions ? predictionSchema(wide) : probabilitySchema(classes);
    try (BufferAllocator streamAllocator = allocator.newChildAllocator("model " + spec, 0, Long.MAX_VALUE);
         VectorSchemaRoot root = VectorSchemaRoot.create(schema, streamAllocator)) {
      BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
      backpressure.register(listener);
      listener.start(root);
      boolean all = chunks.forEach(job, (j, after) -> await(api.awaitProgress(j, after)), streamAllocator, (index, labels) -> {
        if (!waitUntilReady(backpressure, listener)) {
          return false;
        }
        // Slices of a chunk: probabilities of 1,000 classes for a whole chunk would be a large heap array.
        int total = labels.getRowCount();
        int step = Math.max(1, MODEL_SLICE_VALUES / Math.max(1, Math.max(model.classes(), model.lfs())));
        for (int from = 0; from < total; from += step) {
          if (from > 0 && !waitUntilReady(backpressure, listener)) {
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
            short[] out = new short[rows];
            tiePolicy.predict(probs, rows, chunk.firstRow(), random, out);
            BaseFixedWidthVector label = (BaseFixedWidthVector) root.getVector(1);
            label.allocateNew(rows);
            for (int r = 0; r < rows; r++) {
              if (wide) {
                ((SmallIntVector) label).set(r, out[r]);
              } else {
                ((TinyIntVector) label).set(r, out[r]);
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
          traffic.sent(root);
          listener.putNext();
        }
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

  private static Schema predictionSchema(boolean wide) {
    return new Schema(List.of(
        new Field(LabelStore.ROW_ID, FieldType.notNullable(new ArrowType.Int(64, true)), null),
        new Field("label", FieldType.notNullable(new ArrowType.Int(wide ? 16 : 8, true)), null)));
  }

  /**
   * {@code dataset/NAME@VERSION}, or only some columns with {@code ?columns=A,B} (each name percent-encoded):
   * the Python client reads a dataset's stored index columns this way without the data.
   */
  private void streamDataset(String user, String spec, ServerStreamListener listener) throws Exception {
    String[] query = spec.split("\\?", 2);
    spec = query[0];
    int at = spec.lastIndexOf('@');
    if (at < 0) {
      throw LabelFlightException.invalid("dataset ticket must be dataset/NAME@VERSION");
    }
    Manifest manifest = datasets.manifest(DatasetNames.qualify(user, spec.substring(0, at)),
        parseVersion(spec.substring(at + 1)));
    List<DerivedColumn> derivedColumns = derived.columns(manifest);
    Schema full = DerivedColumnStore.schema(manifest, derivedColumns);
    List<Integer> projection = query.length == 2 ? DatasetProjection.columns(full, query[1]) : null;
    Schema schema = projection == null ? full : DatasetProjection.schema(full, projection);
    try (BufferAllocator streamAllocator = allocator.newChildAllocator("dataset " + spec, 0, Long.MAX_VALUE);
         VectorSchemaRoot root = VectorSchemaRoot.create(schema, streamAllocator)) {
      BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
      backpressure.register(listener);
      listener.start(root);
      for (int i = 0; i < manifest.chunks().size(); i++) {
        if (!waitUntilReady(backpressure, listener)) {
          return;
        }
        try (VectorSchemaRoot chunk = derived.readChunk(manifest, derivedColumns, i, streamAllocator)) {
          send(projection == null ? chunk : DatasetProjection.view(chunk, schema, projection), root, listener);
        }
      }
      listener.completed();
    }
  }

  /**
   * Moves a chunk's buffers into the stream's root and sends them. Without null counts: the loader then
   * takes each validity buffer as it is instead of counting it and allocating a new one; Flight counts
   * them once when it sends the root.
   */
  private void send(VectorSchemaRoot chunk, VectorSchemaRoot root, ServerStreamListener listener) {
    try (ArrowRecordBatch batch = new VectorUnloader(chunk, false, NoCompressionCodec.INSTANCE, true).getRecordBatch()) {
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

  /**
   * The authenticated user of a call (Flight's peer identity, set by {@link dev.labelflight.flight.auth.FlightAuthenticator}),
   * or null when the server runs without authentication.
   */
  static String user(CallContext context) {
    String identity = context.peerIdentity();
    return identity == null || identity.isEmpty() ? null : identity;
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
