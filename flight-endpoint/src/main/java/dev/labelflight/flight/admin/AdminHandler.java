package dev.labelflight.flight.admin;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.store.MappedChunks;
import dev.labelflight.flight.call.ActionSpec;
import dev.labelflight.flight.call.Bodies;
import dev.labelflight.flight.call.Call;
import dev.labelflight.flight.call.Home;
import dev.labelflight.flight.call.TicketSpec;
import dev.labelflight.flight.stream.ChunksBody;
import dev.labelflight.flight.stream.StreamBody;
import dev.labelflight.engine.lf.LfKind;
import dev.labelflight.engine.lf.LfLimits;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Node-to-node calls: a node that runs a task on a chunk of another node's dataset reads its manifest
 * ({@code manifest} action) and the chunk ({@code chunk/NAME@V/I}) from the dataset's home node. Both take
 * stored names and serve calls without a user only (another node's, with authentication on).
 *
 * <p>Meta actions about the service itself live here too: {@code lf_kinds}, the LF kind registry as JSON
 * (what the web UI's forms and the Python client read instead of keeping their own copies).
 */
public final class AdminHandler {
  private final BufferAllocator allocator;
  private final DatasetStore datasets;
  private final LfLimits limits;

  public AdminHandler(BufferAllocator allocator, DatasetStore datasets, LfLimits limits) {
    this.allocator = allocator;
    this.datasets = datasets;
    this.limits = limits;
  }

  public List<ActionSpec> actions() {
    return List.of(
        new ActionSpec("manifest", "The manifest of a dataset version this node owns (nodes read each other's):"
            + " {dataset, version} -> manifest", Home.HERE, false, this::manifest),
        new ActionSpec("lf_kinds", "The LF kinds this node runs, each with its fields (type, required, default,"
            + " choices, column types), and the node's LF limits: {} -> {kinds, limits}", Home.HERE, false,
            (call, body) -> LfKind.describe(limits).toString().getBytes(StandardCharsets.UTF_8)));
  }

  public List<TicketSpec> tickets() {
    return List.of(new TicketSpec("chunk/", "chunk/NAME@VERSION/INDEX (nodes only)", Home.HERE, false, this::chunk));
  }

  private byte[] manifest(Call call, String body) {
    call.requireNode("the manifest action");
    JsonObject request = Bodies.jsonObject(body);
    return datasets.manifest(request.getString("dataset"), request.getInteger("version")).toBytes();
  }

  /** {@code chunk/NAME@V/I}: one stored chunk of a dataset this node owns, for a node that runs a task on it. */
  private StreamBody<?> chunk(Call call, String spec) {
    call.requireNode("chunk tickets");
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
    Manifest manifest = datasets.manifest(spec.substring(0, at), Bodies.version(spec.substring(at + 1, slash)));
    manifest.chunk(index);
    return new ChunksBody(allocator, "chunk " + spec, manifest.arrowSchema(), index, 1,
        (i, chunkAllocator) -> MappedChunks.read(datasets, manifest, i, chunkAllocator));
  }
}
