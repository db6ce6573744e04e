package dev.labelflight.engine.store;

import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.error.LabelFlightException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Datasets on disk: {@code datasets/NAME/vNNNNNN/} holds a version's Arrow IPC chunk files and its
 * {@code manifest.json}. A version directory appears by one atomic rename of a finished staging
 * directory, so a reader sees a version whole or not at all. All methods block on disk: call them from
 * worker threads.
 */
public final class DatasetStore {
  static final String STAGING_PREFIX = ".upload-";
  private static final String MANIFEST = "manifest.json";
  /** The manifest's own CRC32C (decimal), so that every file of a version is checked on read. */
  private static final String MANIFEST_CRC = "manifest.crc32c";

  private final Path root;
  private final int chunkRows;
  private final UploadLimits uploadLimits;
  private final Map<String, Manifest> manifests = new ConcurrentHashMap<>();
  private final Map<String, Object> nameLocks = new ConcurrentHashMap<>();
  /** Write and fsync uploaded chunks while their uploads receive the next (one thread per busy upload; idle ones end). */
  private final ExecutorService chunkWriters = Executors.newCachedThreadPool(runnable -> {
    Thread thread = new Thread(runnable, "labelflight-chunk-writer");
    thread.setDaemon(true);
    return thread;
  });

  public DatasetStore(Path dataDir, int chunkRows) {
    this(dataDir, chunkRows, UploadLimits.NONE);
  }

  /** A store whose uploads refuse batches over {@code uploadLimits}. */
  public DatasetStore(Path dataDir, int chunkRows, UploadLimits uploadLimits) {
    if (chunkRows < 1) {
      throw new IllegalArgumentException("chunkRows must be positive: " + chunkRows);
    }
    this.root = dataDir.resolve("datasets");
    this.chunkRows = chunkRows;
    this.uploadLimits = uploadLimits;
    try {
      Files.createDirectories(root);
      removeAbandonedUploads();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare dataset directory " + root, e);
    }
  }

  public int chunkRows() {
    return chunkRows;
  }

  /** The bounds every upload batch is checked against. */
  public UploadLimits uploadLimits() {
    return uploadLimits;
  }

  /** Starts an upload; nothing is visible until {@link DatasetUpload#commit()}. */
  public DatasetUpload beginUpload(String name, Schema schema, BufferAllocator allocator) {
    DatasetNames.validateStored(name);
    ColumnTypes.validate(schema);
    synchronized (nameLocks.computeIfAbsent(name, n -> new Object())) {
      try {
        Path datasetDir = root.resolve(name);
        Files.createDirectories(datasetDir);
        Path staging = Files.createTempDirectory(datasetDir, STAGING_PREFIX);
        return new DatasetUpload(this, name, schema, staging, chunkRows, uploadLimits, allocator, chunkWriters);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start upload of " + name, e);
      }
    }
  }

  /**
   * Removes an abandoned upload's staging directory, and the dataset's directory if that leaves it empty
   * (a first upload that failed), so that a failed upload leaves the data directory as it was.
   */
  void abandon(String name, Path staging) throws IOException {
    synchronized (nameLocks.computeIfAbsent(name, n -> new Object())) {
      AtomicFiles.deleteRecursively(staging);
      Path datasetDir = root.resolve(name);
      try (Stream<Path> entries = Files.list(datasetDir)) {
        if (entries.findAny().isEmpty()) {
          Files.deleteIfExists(datasetDir);
        }
      } catch (NoSuchFileException gone) {
        // dropped meanwhile
      }
    }
  }

  /** Moves a finished staging directory into place as the next version; returns its manifest. */
  Manifest publish(String name, Path staging, java.util.function.IntFunction<Manifest> builder) throws IOException {
    synchronized (nameLocks.computeIfAbsent(name, n -> new Object())) {
      int version = latestVersion(name).orElse(0) + 1;
      Manifest manifest = builder.apply(version);
      byte[] bytes = manifest.toBytes();
      AtomicFiles.write(staging.resolve(MANIFEST_CRC),
          Long.toString(AtomicFiles.crc32c(bytes)).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      AtomicFiles.write(staging.resolve(MANIFEST), bytes);
      AtomicFiles.move(staging, versionDir(name, version));
      AtomicFiles.fsyncDirectory(root.resolve(name));
      manifests.put(key(name, version), manifest);
      return manifest;
    }
  }

  /**
   * Removes every version of a dataset: the directory is first renamed out of sight (atomic, so readers
   * see all versions or none), then deleted. Returns the versions dropped; NOT_FOUND if there were none.
   */
  public List<Integer> drop(String name) {
    DatasetNames.validateStored(name);
    synchronized (nameLocks.computeIfAbsent(name, n -> new Object())) {
      List<Integer> versions = versions(name);
      if (versions.isEmpty()) {
        throw notFound(name);
      }
      Path dir = root.resolve(name);
      Path doomed = root.resolve(".dropped-" + name + "-" + java.util.UUID.randomUUID());
      try {
        AtomicFiles.move(dir, doomed);
        AtomicFiles.fsyncDirectory(root);
        manifests.keySet().removeIf(k -> k.startsWith(name + "@"));
        AtomicFiles.deleteRecursively(doomed);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot drop dataset '" + DatasetNames.display(name) + "'", e);
      }
      return versions;
    }
  }

  /** The newest version of a dataset, if any. */
  public Optional<Integer> latestVersion(String name) {
    DatasetNames.validateStored(name);
    return versions(name).stream().max(Integer::compare);
  }

  /** All committed versions of a dataset, ascending. */
  public List<Integer> versions(String name) {
    Path dir = root.resolve(name);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Integer> versions = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "v*")) {
      for (Path entry : entries) {
        String file = entry.getFileName().toString();
        if (file.matches("v\\d{6,}") && Files.exists(entry.resolve(MANIFEST))) {
          versions.add(Integer.parseInt(file.substring(1)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    versions.sort(Comparator.naturalOrder());
    return versions;
  }

  /** Names of all datasets with at least one version, sorted. */
  public List<String> names() {
    try (Stream<Path> entries = Files.list(root)) {
      return entries
          .filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith("."))
          .filter(n -> !versions(n).isEmpty())
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The manifest of a version; {@code version == null} means the newest. NOT_FOUND if absent. */
  public Manifest manifest(String name, Integer version) {
    DatasetNames.validateStored(name);
    int v = version != null
        ? version
        : latestVersion(name).orElseThrow(() -> notFound(name));
    Manifest cached = manifests.get(key(name, v));
    if (cached != null) {
      return cached;
    }
    Path file = versionDir(name, v).resolve(MANIFEST);
    try {
      byte[] bytes = Files.readAllBytes(file);
      Path crcFile = file.resolveSibling(MANIFEST_CRC);
      // Versions written before the checksum existed have none; their chunks are still checked.
      if (Files.exists(crcFile)) {
        String expected = Files.readString(crcFile, java.nio.charset.StandardCharsets.US_ASCII).trim();
        if (!expected.equals(Long.toString(AtomicFiles.crc32c(bytes)))) {
          throw new CorruptDataException("manifest of dataset '" + DatasetNames.display(name) + "' v" + v
              + " is corrupt (checksum differs from manifest.crc32c)");
        }
      }
      Manifest manifest = Manifest.fromBytes(bytes);
      manifests.put(key(name, v), manifest);
      return manifest;
    } catch (NoSuchFileException e) {
      if (latestVersion(name).isEmpty()) {
        throw notFound(name);
      }
      throw LabelFlightException.notFound("dataset '" + DatasetNames.display(name) + "' has no version " + v)
          .withDetail(LabelFlightException.Detail.DATASET, DatasetNames.display(name));
    } catch (IOException e) {
      throw new CorruptDataException("manifest of dataset '" + DatasetNames.display(name) + "' v" + v + " is unreadable: " + e.getMessage());
    }
  }

  /**
   * Reads one chunk into a new root owned by the caller, after checking its size and checksum against
   * the manifest. Decodes straight from the file into the caller's allocator ({@link MappedChunks}): no heap copy
   * of the file, and no JDK direct copy buffer of the file's size, which the JDK would keep per reading thread.
   */
  public VectorSchemaRoot readChunk(Manifest manifest, int index, BufferAllocator allocator) {
    return MappedChunks.read(this, manifest, index, allocator);
  }

  /** The directory of one version (its chunks, manifest and derived columns). */
  public Path versionDir(String name, int version) {
    return root.resolve(name).resolve(String.format("v%06d", version));
  }

  /** NOT_FOUND for a dataset, named as its owner knows it. */
  private static LabelFlightException notFound(String name) {
    return LabelFlightException.notFound("dataset '" + DatasetNames.display(name) + "' not found")
        .withDetail(LabelFlightException.Detail.DATASET, DatasetNames.display(name));
  }

  private static String key(String name, int version) {
    return name + "@" + version;
  }

  /** Staging directories and half-deleted datasets left by a crash are never visible; remove them at start. */
  private void removeAbandonedUploads() throws IOException {
    try (DirectoryStream<Path> datasets = Files.newDirectoryStream(root)) {
      for (Path dataset : datasets) {
        if (dataset.getFileName().toString().startsWith(".dropped-")) {
          AtomicFiles.deleteRecursively(dataset);
          continue;
        }
        if (!Files.isDirectory(dataset)) {
          continue;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dataset, STAGING_PREFIX + "*")) {
          for (Path staging : entries) {
            AtomicFiles.deleteRecursively(staging);
          }
        }
      }
    }
  }

}
