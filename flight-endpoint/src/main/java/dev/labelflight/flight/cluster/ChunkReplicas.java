package dev.labelflight.flight.cluster;

import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.ArrowFiles;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.ChunkSource;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.node.RemoteDatasets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

/**
 * Other nodes' datasets as this node reads them: manifests (action {@code manifest}) and chunks (ticket
 * {@code chunk/NAME@V/I}) fetched from the owner over Flight and kept under {@code replicas/}. A copy is
 * named after the version's {@link Manifest#uploadId() upload id} (as the label cache is)
 * and each chunk file carries its own CRC32C in its name, so a dropped and re-uploaded dataset, or a
 * damaged copy, is never read as the current one. Blocking.
 */
public final class ChunkReplicas implements RemoteDatasets {
  private final Path root;
  private final NodeClients clients;
  private final Map<String, Manifest> manifests = new ConcurrentHashMap<>();
  private final Map<String, Object> fetching = new ConcurrentHashMap<>();

  public ChunkReplicas(Path dataDir, NodeClients clients) {
    this.root = dataDir.resolve("replicas");
    this.clients = clients;
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + root, e);
    }
  }

  @Override
  public Manifest manifest(String ownerFlight, String dataset, int version) {
    String key = ownerFlight + "|" + dataset + "@" + version;
    Manifest known = manifests.get(key);
    if (known != null) {
      return known;
    }
    byte[] body = ("{\"dataset\":" + quote(dataset) + ",\"version\":" + version + "}").getBytes(StandardCharsets.UTF_8);
    try {
      Iterator<Result> results = clients.client(ownerFlight).doAction(new Action("manifest", body), clients.options());
      if (!results.hasNext()) {
        throw LabelFlightException.internal("node " + ownerFlight + " sent no manifest for " + dataset + " v" + version, null);
      }
      Manifest manifest = Manifest.fromBytes(results.next().getBody());
      results.forEachRemaining(r -> { });
      manifests.put(key, manifest);
      return manifest;
    } catch (FlightRuntimeException e) {
      throw new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE, "manifest of " + dataset + " v" + version
          + " from " + ownerFlight + ": " + e.getMessage());
    } catch (IOException e) {
      throw new CorruptDataException("manifest of " + dataset + " v" + version + " from " + ownerFlight
          + " is unreadable: " + e.getMessage());
    }
  }

  @Override
  public ChunkSource chunks(String ownerFlight) {
    return (manifest, index, allocator) -> read(ownerFlight, manifest, index, allocator);
  }

  private VectorSchemaRoot read(String ownerFlight, Manifest manifest, int index, BufferAllocator allocator) {
    Path dir = root.resolve(manifest.name()).resolve(String.format("v%06d-%s", manifest.version(), manifest.uploadId()));
    String prefix = String.format("chunk-%06d-", index);
    // One fetch per chunk at a time; others wait and then read the copy.
    synchronized (fetching.computeIfAbsent(dir + prefix, k -> new Object())) {
      VectorSchemaRoot cached = readCopy(dir, prefix, allocator);
      if (cached != null) {
        return cached;
      }
      return fetch(ownerFlight, manifest, index, dir, prefix, allocator);
    }
  }

  /** The local copy if there is a sound one; a damaged one is deleted. */
  private VectorSchemaRoot readCopy(Path dir, String prefix, BufferAllocator allocator) {
    if (!Files.isDirectory(dir)) {
      return null;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, prefix + "*.arrow")) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        long expected = Long.parseLong(name.substring(prefix.length(), name.length() - ".arrow".length()), 16);
        byte[] bytes = Files.readAllBytes(file);
        if (AtomicFiles.crc32c(bytes) != expected) {
          Files.deleteIfExists(file);
          continue;
        }
        return ArrowFiles.readSingleBatch(bytes, allocator, "copy of " + name);
      }
    } catch (IOException | NumberFormatException e) {
      return null;
    }
    return null;
  }

  private VectorSchemaRoot fetch(String ownerFlight, Manifest manifest, int index, Path dir, String prefix,
      BufferAllocator allocator) {
    Ticket ticket = new Ticket(("chunk/" + manifest.name() + "@" + manifest.version() + "/" + index)
        .getBytes(StandardCharsets.UTF_8));
    VectorSchemaRoot out = VectorSchemaRoot.create(manifest.arrowSchema(), allocator);
    try (FlightStream stream = clients.client(ownerFlight).getStream(ticket, clients.options())) {
      if (!stream.next()) {
        throw new CorruptDataException("node " + ownerFlight + " sent no data for chunk " + index + " of "
            + manifest.name() + " v" + manifest.version());
      }
      try (ArrowRecordBatch batch = new VectorUnloader(stream.getRoot()).getRecordBatch()) {
        new VectorLoader(out).load(batch);
      }
      if (out.getRowCount() != manifest.chunk(index).rows()) {
        throw new CorruptDataException("chunk " + index + " of " + manifest.name() + " v" + manifest.version()
            + " from " + ownerFlight + " has " + out.getRowCount() + " rows, its manifest says "
            + manifest.chunk(index).rows());
      }
      Files.createDirectories(dir);
      Path staging = dir.resolve(prefix + "staging.arrow.tmp");
      AtomicFiles.Written written = ArrowFiles.writeSingleBatch(staging, out);
      AtomicFiles.move(staging, dir.resolve(String.format("%s%08x.arrow", prefix, written.crc32c())));
      return out;
    } catch (FlightRuntimeException e) {
      out.close();
      throw new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE, "chunk " + index + " of "
          + manifest.name() + " v" + manifest.version() + " from " + ownerFlight + ": " + e.getMessage());
    } catch (IOException e) {
      out.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      out.close();
      throw e;
    } catch (Exception e) {
      out.close();
      throw LabelFlightException.internal("fetching chunk " + index + " from " + ownerFlight, e);
    }
  }

  private static String quote(String s) {
    return io.vertx.core.json.Json.encode(s);
  }
}
