package dev.labelflight.flight.upload;

import dev.labelflight.cluster.ClusterDirectory.NodeInfo;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.DictionaryColumns;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.flight.FlightTraffic;
import dev.labelflight.flight.call.Admission;
import dev.labelflight.flight.call.Call;
import dev.labelflight.flight.call.FlightErrors;
import dev.labelflight.flight.cluster.CallRouter;
import dev.labelflight.flight.cluster.Relay;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;
import dev.labelflight.flight.call.BusCalls;
import dev.labelflight.flight.review.LfSetsHandler;
import dev.labelflight.engine.apply.LabelStore;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightProducer.CallContext;
import org.apache.arrow.flight.FlightProducer.StreamListener;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DoPut {@code ["datasets", NAME]}: stores the upload as the caller's dataset's next version and
 * acknowledges it with {@code {"dataset", "version", "rows", "chunks"}}, or relays it to the node that
 * owns the name. Dictionary columns are stored decoded. A failed upload stores nothing.
 */
public final class UploadHandler {
  private static final Logger LOG = LoggerFactory.getLogger(UploadHandler.class);
  /** Room for the acknowledgement's JSON: a name of at most 128 characters and three numbers. */
  private static final int ACK_BYTES = 512;

  private final BufferAllocator allocator;
  private final DatasetStore datasets;
  private final CallRouter router;
  private final Relay relay;
  private final Admission admission;
  private final FlightTraffic traffic;
  private final LabelStore labels;
  private final BusCalls bus;
  private final LfSetsHandler lfSets;

  /** {@code allocator} becomes the parent of one child per upload. */
  public UploadHandler(BufferAllocator allocator, DatasetStore datasets, LabelStore labels, CallRouter router,
      Relay relay, Admission admission, FlightTraffic traffic, BusCalls bus, LfSetsHandler lfSets) {
    this.lfSets = lfSets;
    this.labels = labels;
    this.bus = bus;
    this.allocator = allocator;
    this.datasets = datasets;
    this.router = router;
    this.relay = relay;
    this.admission = admission;
    this.traffic = traffic;
  }

  /** Serves one DoPut; errors go to {@code ackStream}. */
  public void put(Call call, CallContext context, FlightStream stream, StreamListener<PutResult> ackStream) {
    if (RowSelectionUpload.isFor(stream.getDescriptor())) {
      selection(call, context, stream, ackStream);
      return;
    }
    if (LfSetsHandler.isDevSetPut(stream.getDescriptor())) {
      devSet(call, context, stream, ackStream);
      return;
    }
    String name = null;
    try {
      name = call.dataset(datasetName(stream.getDescriptor()));
      admission.checkOpen();
      Optional<NodeInfo> owner = router.claim(name);
      if (owner.isPresent()) {
        String display = DatasetNames.display(name);
        relay.put(owner.get(), call.user(), context, stream, ackStream, () -> UploadBatches.next(stream, display));
        return;
      }
      // The acknowledgement's buffer is taken before the commit: nothing after the commit fails for want of
      // memory, so a failed upload never leaves a version behind.
      ArrowBuf ack = allocator.buffer(ACK_BYTES);
      try {
        Manifest manifest = store(name, context, stream);
        LOG.info("stored dataset {} v{}: {} rows in {} chunks", manifest.name(), manifest.version(), manifest.rows(),
            manifest.chunks().size());
        byte[] meta = new JsonObject().put("dataset", DatasetNames.display(manifest.name()))
            .put("version", manifest.version()).put("rows", manifest.rows()).put("chunks", manifest.chunks().size())
            .encode().getBytes(StandardCharsets.UTF_8);
        ack.writeBytes(meta);
        PutResult result = PutResult.metadata(ack);
        ack = null;
        try (result) {
          ackStream.onNext(result);
        }
      } finally {
        if (ack != null) {
          ack.close();
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
  }

  /** Writes the stream as the next version of {@code name}; nothing is visible unless all of it is. */
  private Manifest store(String name, CallContext context, FlightStream stream) {
    Schema schema = stream.getSchema();
    String display = DatasetNames.display(name);
    // Dictionary columns are stored decoded; their value types are known once the dictionaries (sent
    // before the first batch) have arrived.
    boolean dictionaries = DictionaryColumns.any(schema);
    try (BufferAllocator uploadAllocator = allocator.newChildAllocator("upload " + name, 0, Long.MAX_VALUE)) {
      DatasetUpload upload = dictionaries ? null : datasets.beginUpload(name, schema, uploadAllocator);
      Schema stored = schema;
      try {
        while (UploadBatches.next(stream, display)) {
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
              stored, datasets.uploadLimits(), name, uploadAllocator)) {
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
        return upload.commit();
      } finally {
        if (upload != null) {
          upload.close();
        }
      }
    }
  }

  /**
   * DoPut {@code ["selections", JOB]}: row ids of the caller's job, kept beside its labels as a bitmap; acks
   * {@code {"selection": ID, "job", "rows": N}} for {@code analysis} / {@code fit_label_model} to name.
   */
  private void selection(Call call, CallContext context, FlightStream stream, StreamListener<PutResult> ackStream) {
    try {
      String job = LabelStore.validateJobId(stream.getDescriptor().getPath().get(1));
      Optional<NodeInfo> home = router.forJob(job);
      if (home.isPresent()) {
        relay.put(home.get(), call.user(), context, stream, ackStream, () -> UploadBatches.next(stream, "row selection"));
        return;
      }
      JsonObject status = bus.await(call.api().status(job), "the status of job '" + job + "'");
      var bitmap = RowSelectionUpload.read(stream, status.getLong("rowsTotal"), context::isCancelled);
      String id = UUID.randomUUID().toString();
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

  /** DoPut {@code ["devsets", NAME, VERSION]}: hand labels of a dataset version, on its home node. */
  private void devSet(Call call, CallContext context, FlightStream stream, StreamListener<PutResult> ackStream) {
    try {
      Optional<NodeInfo> home = router.clustered()
          ? router.forDataset(call.dataset(stream.getDescriptor().getPath().get(1))) : Optional.empty();
      if (home.isPresent()) {
        relay.put(home.get(), call.user(), context, stream, ackStream, () -> UploadBatches.next(stream, "dev set"));
        return;
      }
      lfSets.put(call, stream, ackStream);
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

  private static String datasetName(FlightDescriptor descriptor) {
    if (descriptor.isCommand() || descriptor.getPath().size() != 2 || !descriptor.getPath().get(0).equals("datasets")) {
      throw LabelFlightException.invalid("upload descriptor must be the path [\"datasets\", NAME]");
    }
    return descriptor.getPath().get(1);
  }
}
