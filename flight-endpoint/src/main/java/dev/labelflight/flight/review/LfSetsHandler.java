package dev.labelflight.flight.review;

import dev.labelflight.engine.devset.DevSet;
import dev.labelflight.engine.devset.DevSetStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.flight.call.ActionSpec;
import dev.labelflight.flight.call.Bodies;
import dev.labelflight.flight.call.BusCalls;
import dev.labelflight.flight.call.Call;
import dev.labelflight.flight.call.Home;
import dev.labelflight.flight.call.TicketSpec;
import dev.labelflight.flight.stream.Batches;
import dev.labelflight.flight.stream.StreamBody;
import dev.labelflight.flight.stream.StreamOut;
import io.reactivex.rxjava3.core.Flowable;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightProducer.StreamListener;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The LF set and the dev set over Flight, so that the Python client and the web page work on the same ones:
 * <ul>
 *   <li>actions {@code lfset_get} ({@code {"dataset", "version"?}}), {@code lfset_put} ({@code {"dataset",
 *   "set", "baseVersion"?, "source"?}}: a new version, ALREADY_EXISTS when {@code baseVersion} is stale),
 *   {@code lfset_history} and {@code dev_set_info}, each answered by the same bus service the page uses;</li>
 *   <li>DoGet {@code devset/NAME} or {@code devset/NAME@VERSION}: the dev labels as Arrow, {@code row_id}
 *   (int64) and {@code label} (utf8), in row order;</li>
 *   <li>DoPut {@code ["devsets", NAME, VERSION]}: columns {@code row_id} (integer) and {@code label} (utf8 or
 *   large_utf8; null removes a row's label), merged into the version's dev set; acknowledged with
 *   {@code {"dataset", "version", "count", "changed"}}.</li>
 * </ul>
 * All in the caller's namespace, served on the dataset's home node (the producer and the upload handler relay).
 */
public final class LfSetsHandler {
  private static final Schema SCHEMA = new Schema(List.of(
      new Field("row_id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
      new Field("label", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
  private static final int BATCH_ROWS = 65_536;

  private final BufferAllocator allocator;
  private final DatasetStore datasets;
  private final DevSetStore devSets;
  private final BusCalls bus;

  public LfSetsHandler(BufferAllocator allocator, DatasetStore datasets, DevSetStore devSets, BusCalls bus) {
    this.allocator = allocator;
    this.datasets = datasets;
    this.devSets = devSets;
    this.bus = bus;
  }

  public List<ActionSpec> actions() {
    return List.of(
        new ActionSpec("lfset_get", "The LF set of a dataset, as the web page saved it: {dataset, version?} -> {dataset,"
            + " set}", Home.DATASET, false, (call, body) -> json(bus.await(call.api().lfSet(Bodies.jsonObject(body)),
                "the LF set"))),
        new ActionSpec("lfset_put", "Save the next version of a dataset's LF set: {dataset, set: {labels, lfs, gold?},"
            + " baseVersion?, source?} -> {dataset, set}; ALREADY_EXISTS when baseVersion is not the current version",
            Home.DATASET, false, (call, body) -> json(bus.await(call.api().saveLfSet(Bodies.jsonObject(body)),
                "saving the LF set"))),
        new ActionSpec("lfset_history", "Versions of an LF set, newest first: {dataset, limit?} -> {dataset, versions}",
            Home.DATASET, false, (call, body) -> json(bus.await(call.api().lfSetHistory(Bodies.jsonObject(body)),
                "the LF set's versions"))),
        new ActionSpec("dev_set_info", "Size and classes of a dataset version's dev set: {dataset, version?} ->"
            + " {dataset, version, rows, count, perClass, updated, user}", Home.DATASET, false,
            (call, body) -> json(bus.await(call.api().devSetInfo(Bodies.jsonObject(body)), "the dev set"))));
  }

  public List<TicketSpec> tickets() {
    return List.of(new TicketSpec("devset/", "devset/NAME, devset/NAME@VERSION", Home.DATASET, true, this::devSet));
  }

  /** Whether a DoPut is a dev-set upload ({@code ["devsets", NAME, VERSION]}). */
  public static boolean isDevSetPut(FlightDescriptor descriptor) {
    return !descriptor.isCommand() && descriptor.getPath().size() == 3 && descriptor.getPath().get(0).equals("devsets");
  }

  private static byte[] json(JsonObject reply) {
    return reply.encode().getBytes(StandardCharsets.UTF_8);
  }

  /** DoGet {@code devset/NAME[@VERSION]} (the rest after the prefix). */
  private StreamBody<?> devSet(Call call, String spec) {
    int at = spec.lastIndexOf('@');
    Integer version = null;
    if (at >= 0) {
      try {
        version = Integer.parseInt(spec.substring(at + 1));
      } catch (NumberFormatException e) {
        throw LabelFlightException.invalid("dev-set ticket must be devset/NAME or devset/NAME@VERSION");
      }
    }
    Manifest manifest = datasets.manifest(call.dataset(at < 0 ? spec : spec.substring(0, at)), version);
    DevSet dev = devSets.get(manifest.name(), manifest.version());
    int batches = Math.max(1, (dev.size() + BATCH_ROWS - 1) / BATCH_ROWS);
    BufferAllocator streamAllocator = allocator.newChildAllocator("dev set of " + manifest.name(), 0, Long.MAX_VALUE);
    VectorSchemaRoot root;
    try {
      root = VectorSchemaRoot.create(SCHEMA, streamAllocator);
    } catch (RuntimeException e) {
      streamAllocator.close();
      throw e;
    }
    return new StreamBody<Integer>() {
      @Override
      public void start(StreamOut out) {
        out.start(root);
      }

      @Override
      public Flowable<Integer> units() {
        return Flowable.range(0, batches);
      }

      @Override
      public Batches open(Integer batch) {
        return out -> {
          int from = batch * BATCH_ROWS;
          int n = Math.max(0, Math.min(BATCH_ROWS, dev.size() - from));
          root.allocateNew();
          BigIntVector rows = (BigIntVector) root.getVector(0);
          VarCharVector labels = (VarCharVector) root.getVector(1);
          for (int i = 0; i < n; i++) {
            rows.setSafe(i, dev.rows()[from + i]);
            labels.setSafe(i, dev.labels()[from + i].getBytes(StandardCharsets.UTF_8));
          }
          root.setRowCount(n);
          out.putNext();
          return false;
        };
      }

      @Override
      public void close() {
        root.close();
        streamAllocator.close();
      }
    };
  }

  /** DoPut {@code ["devsets", NAME, VERSION]}: merges the labels into the dev set (all or nothing) and acks. */
  public void put(Call call, FlightStream stream, StreamListener<PutResult> ack) throws Exception {
    String user = call.user();
    List<String> path = stream.getDescriptor().getPath();
    int version;
    try {
      version = Integer.parseInt(path.get(2));
    } catch (NumberFormatException e) {
      throw LabelFlightException.invalid("dev-set upload descriptor must be [\"devsets\", NAME, VERSION]");
    }
    Manifest manifest = datasets.manifest(call.dataset(path.get(1)), version);
    Schema schema = stream.getSchema();
    if (schema.findField("row_id") == null || schema.findField("label") == null
        || !(schema.findField("row_id").getType() instanceof ArrowType.Int)) {
      throw LabelFlightException.invalid("a dev-set upload has the columns row_id (integer) and label (string; null"
          + " removes a label); got " + schema);
    }
    // All changes first, then one save: a failed upload changes nothing.
    Map<Long, String> changes = new LinkedHashMap<>();
    while (stream.next()) {
      VectorSchemaRoot root = stream.getRoot();
      BaseIntVector rows = (BaseIntVector) root.getVector("row_id");
      FieldVector labels = root.getVector("label");
      if (!(labels instanceof VarCharVector || labels instanceof LargeVarCharVector)) {
        throw LabelFlightException.invalid("dev-set column 'label' must hold strings (class names); got "
            + labels.getField().getType());
      }
      for (int i = 0; i < root.getRowCount(); i++) {
        if (rows.isNull(i)) {
          throw LabelFlightException.invalid("dev-set row " + i + " of a batch has a null row_id");
        }
        Object label = labels.getObject(i);
        changes.put(rows.getValueAsLong(i), label == null ? null : label.toString());
        if (changes.size() > DevSetStore.MAX_CHANGES) {
          throw LabelFlightException.invalid("a dev-set upload carries at most " + DevSetStore.MAX_CHANGES + " labels")
              .withDetail(LabelFlightException.Detail.LIMIT, DevSetStore.MAX_CHANGES);
        }
      }
    }
    long changed = changes.size();
    DevSet saved = devSets.label(manifest.name(), manifest.version(), manifest.rows(), changes,
        user == null ? "anonymous" : user);
    byte[] meta = new JsonObject().put("dataset", DatasetNames.display(manifest.name())).put("version", manifest.version())
        .put("count", saved.size()).put("changed", changed).encode().getBytes(StandardCharsets.UTF_8);
    try (BufferAllocator ackAllocator = allocator.newChildAllocator("ack", 0, meta.length + 64L)) {
      ArrowBuf buf = ackAllocator.buffer(meta.length);
      buf.writeBytes(meta);
      try (PutResult result = PutResult.metadata(buf)) {
        ack.onNext(result);
      }
    }
    ack.onCompleted();
  }
}
