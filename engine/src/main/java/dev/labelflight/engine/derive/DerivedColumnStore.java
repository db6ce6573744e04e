package dev.labelflight.engine.derive;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.TextColumn;
import dev.labelflight.engine.memory.MemoryPool;
import dev.labelflight.engine.memory.Reservation;
import dev.labelflight.engine.memory.footprint.DerivedFootprint;
import dev.labelflight.engine.store.ArrowFiles;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.ColumnTypes;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.store.MappedChunks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Derived columns on disk, beside the data they come from:
 * {@code datasets/NAME/vNNNNNN/derived/COLUMN-ID/chunk-NNNNNN.arrow} (one single-column Arrow IPC file
 * per dataset chunk) and {@code derived/derived.json} listing every column with its definition and each
 * file's size and CRC32C (checked on every read). {@link #derive} computes a column chunk by chunk, each
 * under a reservation from the node's memory budget, into a staging directory that is renamed into place
 * before the manifest that names it is written (both atomically): a failure or crash mid-way leaves
 * nothing visible, and leftovers are removed by the next derive. Dropping the dataset drops its derived
 * columns with it. Stateless apart from a per-directory lock; blocking: call from workers.
 */
public final class DerivedColumnStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DIR = "derived";
  private static final String MANIFEST = "derived.json";
  private static final String STAGING_PREFIX = ".staging-";
  /** Writers of one version's derived manifest take its lock (one per directory, for every instance). */
  private static final Map<Path, Object> LOCKS = new ConcurrentHashMap<>();
  private static final Set<Path> ACTIVE_STAGING = ConcurrentHashMap.newKeySet();
  /** How long one chunk waits for its memory before the derive fails with RESOURCE_EXHAUSTED. */
  public static final Duration ADMISSION_WAIT = Duration.ofSeconds(30);

  private final DatasetStore datasets;
  private final int maxPatternLength;

  /** The derived manifest as stored. */
  record Listing(List<DerivedColumn> columns) {}

  /** What {@link #derive} did: the column, and whether it was computed now (false: it existed already). */
  public record Derived(Manifest manifest, DerivedColumn column, boolean created) {}

  public DerivedColumnStore(DatasetStore datasets) {
    this(datasets, LfLimits.DEFAULT.maxRegexLength());
  }

  public DerivedColumnStore(DatasetStore datasets, int maxPatternLength) {
    this.datasets = datasets;
    this.maxPatternLength = maxPatternLength;
  }

  /** The derived columns of a version, in the order they were made (empty if none). */
  public List<DerivedColumn> columns(Manifest manifest) {
    Path file = derivedDir(manifest).resolve(MANIFEST);
    try {
      Listing listing = JSON.readValue(Files.readAllBytes(file), Listing.class);
      // A column that does not match the version's chunks (a hand-edited manifest) is not offered.
      return listing.columns() == null ? List.of() : listing.columns().stream().filter(c -> c.fits(manifest)).toList();
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new CorruptDataException("derived columns of dataset '" + manifest.name() + "' v" + manifest.version()
          + " are unreadable: " + e.getMessage());
    }
  }

  /** The version's schema with its derived columns appended. */
  public Schema schema(Manifest manifest) {
    return schema(manifest, columns(manifest));
  }

  /** A version's schema with the given derived columns appended. */
  public static Schema schema(Manifest manifest, List<DerivedColumn> derived) {
    Schema base = manifest.arrowSchema();
    if (derived.isEmpty()) {
      return base;
    }
    List<Field> fields = new ArrayList<>(base.getFields());
    derived.forEach(c -> fields.add(c.field()));
    return new Schema(fields, base.getCustomMetadata());
  }

  /** As {@link #derive(DeriveRequest, MemoryPool, Duration, BufferAllocator, double)}, each chunk waiting at most {@link #ADMISSION_WAIT}. */
  public Derived derive(DeriveRequest request, MemoryPool pool, BufferAllocator parent, double estimateScale) {
    return derive(request, pool, ADMISSION_WAIT, parent, estimateScale);
  }

  /**
   * Computes and stores a derived column (blocking, chunk by chunk, each chunk's memory held by a
   * reservation of {@code pool} that waits at most {@code maxWait}, and capped in a child of
   * {@code parent}). A column of the same name and definition is returned as it is; INVALID_ARGUMENT for
   * an unknown kind, a bad pattern, a missing or non-text source column, a name taken by a dataset column,
   * or by a derived column of another definition (unless {@code replace}); RESOURCE_EXHAUSTED when a
   * chunk's memory does not come free within the wait; CANCELLED when the thread is interrupted.
   */
  public Derived derive(DeriveRequest request, MemoryPool pool, Duration maxWait, BufferAllocator parent,
      double estimateScale) {
    Manifest manifest = datasets.manifest(request.dataset(), request.version());
    Derivation derivation = Derivation.of(request.kind(), request.pattern(), maxPatternLength);
    Schema base = manifest.arrowSchema();
    String what = "dataset '" + DatasetNames.display(manifest.name()) + "' v" + manifest.version();
    for (Field f : base.getFields()) {
      if (f.getName().equals(request.name())) {
        throw LabelFlightException.invalid("'" + request.name() + "' is already a column of " + what);
      }
    }
    Field source = base.getFields().stream().filter(f -> f.getName().equals(request.column())).findFirst()
        .orElseThrow(() -> LabelFlightException.invalid("unknown source column '" + request.column() + "' in " + what));
    if (!ColumnTypes.isText(source.getType())) {
      throw LabelFlightException.invalid("source column '" + request.column() + "' has type " + source.getType()
          + "; derivations read text (utf8) columns");
    }
    String id = DerivedColumn.idOf(request.kind(), request.column(), request.pattern());
    DerivedColumn existing = find(columns(manifest), request.name());
    if (existing != null && existing.id().equals(id) && existing.fits(manifest)) {
      return new Derived(manifest, existing, false);
    }
    refuseClash(existing, id, request);

    Path dir = derivedDir(manifest);
    Path staging;
    try {
      // Not createDirectories: a version dropped meanwhile must not come back as an empty directory.
      if (!Files.isDirectory(dir)) {
        Files.createDirectory(dir);
      }
      staging = Files.createTempDirectory(dir, STAGING_PREFIX);
    } catch (NoSuchFileException e) {
      throw LabelFlightException.notFound(what + " was dropped");
    } catch (java.nio.file.FileAlreadyExistsException e) {
      return derive(request, pool, maxWait, parent, estimateScale);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare derived columns of " + what, e);
    }
    ACTIVE_STAGING.add(staging);
    try {
      List<DerivedColumn.Chunk> chunks = new ArrayList<>(manifest.chunks().size());
      for (Manifest.Chunk chunk : manifest.chunks()) {
        chunks.add(deriveChunk(manifest, chunk, request, derivation, staging, pool, parent, estimateScale, maxWait));
      }
      String target = request.name() + "-" + id;
      DerivedColumn column = new DerivedColumn(request.name(), request.kind(), request.column(), request.pattern(), id,
          target, chunks);
      return new Derived(manifest, publish(manifest, column, staging, request), true);
    } finally {
      ACTIVE_STAGING.remove(staging);
      try {
        AtomicFiles.deleteRecursively(staging);
      } catch (IOException ignored) {
        // Removed by the next derive on this version.
      }
    }
  }

  private static void refuseClash(DerivedColumn existing, String id, DeriveRequest request) {
    if (existing != null && !existing.id().equals(id) && !request.replace()) {
      throw LabelFlightException.invalid("derived column '" + request.name() + "' exists with another definition ("
          + existing.kind() + " of '" + existing.source() + "'" + (existing.pattern() == null ? "" : ", pattern '"
          + existing.pattern() + "'") + "); pass \"replace\": true to redefine it");
    }
  }

  private DerivedColumn.Chunk deriveChunk(Manifest manifest, Manifest.Chunk chunk, DeriveRequest request,
      Derivation derivation, Path staging, MemoryPool pool, BufferAllocator parent, double estimateScale,
      Duration maxWait) {
    long bytes = Math.max(1, (long) (estimateScale * DerivedFootprint.deriving(chunk)));
    String holder = "derive " + manifest.name() + "@" + manifest.version() + " " + request.name() + " chunk "
        + chunk.index() + " " + UUID.randomUUID();
    try (Reservation reservation = pool.newReservation(holder)) {
      try {
        reservation.setBytes(bytes, maxWait).get(maxWait.toMillis() + 5_000, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LabelFlightException(LabelFlightException.Kind.CANCELLED, "interrupted while waiting for memory");
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
      } catch (TimeoutException e) {
        throw LabelFlightException.exhausted("deriving '" + request.name() + "': no memory for chunk "
            + chunk.index() + " within " + maxWait.toSeconds() + " s");
      }
      try (BufferAllocator allocator = parent.newChildAllocator(holder, 0, bytes);
           VectorSchemaRoot data = MappedChunks.read(datasets, manifest, chunk.index(), allocator);
           VectorSchemaRoot out = new VectorSchemaRoot(List.of(derivation.compute(request.name(),
               TextColumn.of(data.getVector(request.column())), allocator)))) {
        out.setRowCount(data.getRowCount());
        String file = String.format("chunk-%06d.arrow", chunk.index());
        AtomicFiles.Written written = ArrowFiles.writeSingleBatch(staging.resolve(file), out);
        return new DerivedColumn.Chunk(chunk.index(), file, chunk.rows(), written.bytes(), written.crc32c());
      } catch (OutOfMemoryException e) {
        throw LabelFlightException.exhausted("deriving '" + request.name() + "': chunk " + chunk.index()
            + " needs more than its estimate of " + (bytes >> 20) + " MiB: " + e.getMessage());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write derived column '" + request.name() + "'", e);
      }
    }
  }

  /** Renames the staged files into place and records the column; replaces (and deletes) an older definition. */
  private DerivedColumn publish(Manifest manifest, DerivedColumn column, Path staging, DeriveRequest request) {
    Path dir = derivedDir(manifest);
    synchronized (LOCKS.computeIfAbsent(dir, d -> new Object())) {
      List<DerivedColumn> current = new ArrayList<>(columns(manifest));
      DerivedColumn existing = find(current, column.name());
      if (existing != null && existing.id().equals(column.id()) && existing.fits(manifest)) {
        return existing; // derived meanwhile by another call
      }
      refuseClash(existing, column.id(), request);
      try {
        Path target = dir.resolve(column.dir());
        AtomicFiles.deleteRecursively(target); // an unlisted leftover of an interrupted derive
        AtomicFiles.move(staging, target);
        AtomicFiles.fsyncDirectory(dir);
        if (existing != null) {
          current.remove(existing);
        }
        current.add(column);
        AtomicFiles.write(dir.resolve(MANIFEST), JSON.writerWithDefaultPrettyPrinter()
            .writeValueAsBytes(new Listing(current)));
        removeUnlisted(dir, current);
      } catch (NoSuchFileException e) {
        throw LabelFlightException.notFound("dataset '" + manifest.name() + "' v" + manifest.version()
            + " was dropped while deriving '" + column.name() + "'");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot record derived column '" + column.name() + "'", e);
      }
      return column;
    }
  }

  /** Deletes column directories the manifest does not list and staging directories nobody writes to. */
  private static void removeUnlisted(Path dir, List<DerivedColumn> listed) throws IOException {
    Set<String> keep = new HashSet<>();
    listed.forEach(c -> keep.add(c.dir()));
    keep.add(MANIFEST);
    List<Path> doomed = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!keep.contains(name) && !ACTIVE_STAGING.contains(entry) && !name.startsWith("." + MANIFEST)) {
          doomed.add(entry);
        }
      }
    }
    for (Path p : doomed) {
      AtomicFiles.deleteRecursively(p);
    }
  }

  /** Reads one chunk of a derived column (size and checksum checked) into a vector owned by the caller. */
  public FieldVector read(Manifest manifest, DerivedColumn column, int chunk, BufferAllocator allocator) {
    DerivedColumn.Chunk c = column.chunks().get(chunk);
    Path file = derivedDir(manifest).resolve(column.dir()).resolve(c.file());
    String what = "chunk " + chunk + " of derived column '" + column.name() + "' of dataset '" + DatasetNames.display(manifest.name())
        + "' v" + manifest.version();
    if (!Files.exists(file)) {
      throw LabelFlightException.notFound(what + " is gone: the column was redefined or dropped meanwhile");
    }
    try (VectorSchemaRoot root = MappedChunks.read(file, c.bytes(), c.crc32c(), what, allocator)) {
      if (root.getRowCount() != manifest.chunk(chunk).rows() || root.getFieldVectors().size() != 1) {
        throw new CorruptDataException(what + " does not match the dataset chunk");
      }
      FieldVector vector = root.getVector(0);
      var transfer = vector.getTransferPair(allocator);
      transfer.transfer();
      return (FieldVector) transfer.getTo();
    }
  }

  /** Reads the given derived columns of one chunk; on failure nothing is left allocated. */
  public List<FieldVector> read(Manifest manifest, List<DerivedColumn> columns, int chunk, BufferAllocator allocator) {
    List<FieldVector> out = new ArrayList<>(columns.size());
    try {
      for (DerivedColumn c : columns) {
        out.add(read(manifest, c, chunk, allocator));
      }
      return out;
    } catch (RuntimeException e) {
      out.forEach(FieldVector::close);
      throw e;
    }
  }

  /**
   * A view of {@code base} with {@code derived} appended, sharing their vectors: close the base and the
   * derived vectors, never the view (closing it would close the base's vectors too).
   */
  public static VectorSchemaRoot view(VectorSchemaRoot base, List<FieldVector> derived) {
    List<FieldVector> vectors = new ArrayList<>(base.getFieldVectors());
    vectors.addAll(derived);
    List<Field> fields = new ArrayList<>(base.getSchema().getFields());
    derived.forEach(v -> fields.add(v.getField()));
    return new VectorSchemaRoot(fields, vectors, base.getRowCount());
  }

  /**
   * One chunk of a version with all of its derived columns, in a root owned by the caller (for streaming
   * a dataset as its schema with derived columns says).
   */
  public VectorSchemaRoot readChunk(Manifest manifest, List<DerivedColumn> derived, int chunk, BufferAllocator allocator) {
    VectorSchemaRoot base = MappedChunks.read(datasets, manifest, chunk, allocator);
    if (derived.isEmpty()) {
      return base;
    }
    try {
      List<FieldVector> extra = read(manifest, derived, chunk, allocator);
      return view(base, extra); // owns base's vectors and the derived ones
    } catch (RuntimeException e) {
      base.close();
      throw e;
    }
  }

  private Path derivedDir(Manifest manifest) {
    return datasets.versionDir(manifest.name(), manifest.version()).resolve(DIR);
  }

  private static DerivedColumn find(List<DerivedColumn> columns, String name) {
    for (DerivedColumn c : columns) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    return null;
  }
}
