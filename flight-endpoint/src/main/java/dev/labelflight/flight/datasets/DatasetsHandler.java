package dev.labelflight.flight.datasets;

import dev.labelflight.engine.derive.DerivedColumn;
import dev.labelflight.engine.derive.DerivedColumnStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.flight.call.ActionSpec;
import dev.labelflight.flight.call.Admission;
import dev.labelflight.flight.call.Bodies;
import dev.labelflight.flight.call.BusCalls;
import dev.labelflight.flight.call.Call;
import dev.labelflight.flight.call.Home;
import dev.labelflight.flight.call.TicketSpec;
import dev.labelflight.flight.cluster.CallRouter;
import dev.labelflight.flight.cluster.Relay;
import dev.labelflight.flight.stream.ChunksBody;
import dev.labelflight.flight.stream.StreamBody;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The caller's datasets as Flight sees them: listings and FlightInfos (schema with derived columns, rows,
 * the ticket that downloads the version), downloads, drops and derived columns. Served where the dataset
 * lives; a listing asks the other nodes too.
 */
public final class DatasetsHandler {
  private final BufferAllocator allocator;
  private final DatasetStore datasets;
  private final DerivedColumnStore derived;
  private final Location location;
  private final CallRouter router;
  private final Relay relay;
  private final BusCalls bus;
  private final Admission admission;

  public DatasetsHandler(BufferAllocator allocator, DatasetStore datasets, Location location, CallRouter router,
      Relay relay, BusCalls bus, Admission admission) {
    this.allocator = allocator;
    this.datasets = datasets;
    this.derived = new DerivedColumnStore(datasets);
    this.location = location;
    this.router = router;
    this.relay = relay;
    this.bus = bus;
    this.admission = admission;
  }

  public List<ActionSpec> actions() {
    return List.of(
        new ActionSpec("drop_dataset", "Delete every version of a dataset and its cached labels: {dataset} -> {dataset, versions}",
            Home.DATASET, false, this::drop),
        new ActionSpec("derive", "Store a derived column for every LF to read: {dataset, version?, name, kind:"
            + " lowercase|length|token_count|regex_extract, column, pattern?, replace?} -> {dataset, version, column, rows}",
            Home.DATASET, true, this::derive));
  }

  public List<TicketSpec> tickets() {
    return List.of(new TicketSpec("dataset/", "dataset/NAME@VERSION, dataset/NAME@VERSION?columns=A,B", Home.DATASET,
        true, this::download));
  }

  private byte[] drop(Call call, String body) throws Exception {
    String dataset = Bodies.datasetOf(body);
    JsonObject dropped = bus.await(call.api().dropDataset(dataset), "dropping dataset '" + dataset + "'");
    router.release(call.dataset(dataset));
    return dropped.encode().getBytes(StandardCharsets.UTF_8);
  }

  private byte[] derive(Call call, String body) throws Exception {
    admission.checkOpen();
    JsonObject request = Bodies.jsonObject(body);
    return bus.await(call.api().derive(request), "the derived column of dataset '" + request.getValue("dataset") + "'")
        .encode().getBytes(StandardCharsets.UTF_8);
  }

  /** Every stored version of the caller's datasets here, and unless {@code localOnly} on the other nodes. */
  public List<FlightInfo> list(Call call, boolean localOnly) {
    List<FlightInfo> out = new ArrayList<>();
    for (String name : datasets.names()) {
      if (!DatasetNames.ownedBy(name, call.user())) {
        continue;
      }
      for (int version : datasets.versions(name)) {
        out.add(info(datasets.manifest(name, version)));
      }
    }
    if (!localOnly) {
      out.addAll(relay.listOthers(router.others(), call.user()));
    }
    return out;
  }

  /** {@code ["datasets", NAME(, VERSION)]} of a dataset stored here. */
  public FlightInfo info(Call call, List<String> path) {
    if (path.size() < 2 || path.size() > 3) {
      throw LabelFlightException.invalid("descriptor must be [\"datasets\", NAME(, VERSION)] or [\"labels\", JOB]");
    }
    Integer version = path.size() == 3 ? Bodies.version(path.get(2)) : null;
    return info(datasets.manifest(call.dataset(path.get(1)), version));
  }

  /** Describes a stored version by the name its owner uses (tickets and descriptors are resolved per caller). */
  private FlightInfo info(Manifest m) {
    String name = DatasetNames.display(m.name());
    byte[] ticket = ("dataset/" + name + "@" + m.version()).getBytes(StandardCharsets.UTF_8);
    byte[] meta = new JsonObject().put("name", name).put("version", m.version()).put("rows", m.rows())
        .put("chunks", m.chunks().size()).put("created", m.createdAt()).encode().getBytes(StandardCharsets.UTF_8);
    return new FlightInfo(derived.schema(m), FlightDescriptor.path("datasets", name, String.valueOf(m.version())),
        List.of(new FlightEndpoint(new Ticket(ticket), location)), m.bytes(), m.rows(), true,
        org.apache.arrow.vector.ipc.message.IpcOption.DEFAULT, meta);
  }

  /**
   * {@code dataset/NAME@VERSION}: the stored rows with the derived columns, chunk by chunk; only some columns
   * with {@code ?columns=A,B} (each name percent-encoded): the Python client reads a dataset's stored index
   * columns this way without the data.
   */
  private StreamBody<?> download(Call call, String ticket) {
    String[] query = ticket.split("\\?", 2);
    String spec = query[0];
    int at = spec.lastIndexOf('@');
    if (at < 0) {
      throw LabelFlightException.invalid("dataset ticket must be dataset/NAME@VERSION");
    }
    Manifest manifest = datasets.manifest(call.dataset(spec.substring(0, at)), Bodies.version(spec.substring(at + 1)));
    List<DerivedColumn> derivedColumns = derived.columns(manifest);
    Schema full = DerivedColumnStore.schema(manifest, derivedColumns);
    if (query.length == 1) {
      return new ChunksBody(allocator, "dataset " + spec, full, 0, manifest.chunks().size(),
          (i, chunkAllocator) -> derived.readChunk(manifest, derivedColumns, i, chunkAllocator));
    }
    List<Integer> projection = DatasetProjection.columns(full, query[1]);
    Schema schema = DatasetProjection.schema(full, projection);
    return new ChunksBody(allocator, "dataset " + spec, schema, 0, manifest.chunks().size(),
        (i, chunkAllocator) -> DatasetProjection.take(derived.readChunk(manifest, derivedColumns, i, chunkAllocator),
            schema, projection));
  }
}
