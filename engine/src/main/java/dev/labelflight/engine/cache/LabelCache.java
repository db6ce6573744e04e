package dev.labelflight.engine.cache;

import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.store.ArrowFiles;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.Manifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * LF results on disk, reusable by every job on the same dataset version: one int8 label column per
 * (dataset version, chunk, {@link LfFingerprint}). Layout:
 * {@code cache/NAME/vNNNNNN-ID/chunk-NNNNNN/seg-CRC-RANDOM.arrow}, where ID identifies the exact
 * upload (a version number reused after a drop never sees old labels). A segment is one Arrow IPC file
 * holding up to {@value #SEGMENT_COLUMNS} columns computed together (its fields are named by fingerprint),
 * so a job of a thousand LFs writes 16 files per chunk, not a thousand, and never one huge one; once a chunk has more than {@value #COMPACT_AT} narrow
 * segments (of fewer than {@value #WIDE_AT} columns) they are merged into segments of up to
 * {@value #SEGMENT_COLUMNS} columns. The index
 * (fingerprint to segment) is rebuilt from segment footers on first use, so the cache survives a
 * restart. Files appear by atomic rename and carry their CRC32C in their name, checked on every read:
 * no fsync, since a torn or lost segment is detected and recomputed, never trusted. The most recently
 * written or read columns are also kept on the heap, up to {@code hotBytes} (the owner accounts for
 * them in its memory budget), so that the edit-one-LF-and-rerun loop does not go back to disk for the
 * columns it just saw. Blocking.
 *
 * <p>With a write-behind allocator, {@link #writeBehind} keeps the new columns in that heap layer (pinned,
 * never evicted before they are on disk) and writes their segment on one background thread: a resident
 * job's chunk is done once its columns are in memory. The disk copy still appears only by atomic rename,
 * so a crash in between loses those columns (they are recomputed), never shows half a segment. The heap
 * layer's bytes are split: three quarters for columns (pinned ones included), a quarter caps the
 * writer's Arrow allocator; columns waiting for the writer take at most a quarter of the column share,
 * beyond which writes are made by the caller as without write-behind.
 *
 * <p>Over 400 lines because the disk layer, the hot layer and the write-behind queue share one lock and one
 * accounting of bytes; split apart, their invariants (a column is on disk or pinned, never neither) would
 * span classes.
 */
public final class LabelCache {
  public static final int SEGMENT_COLUMNS = 64;
  static final int COMPACT_AT = 16;
  /** Segments this wide are not compacted again (rewriting wide segments for every few new columns costs more than it saves). */
  static final int WIDE_AT = SEGMENT_COLUMNS / 4;

  private final Path root;
  private final Map<Path, ChunkIndex> indexes = new ConcurrentHashMap<>();
  private final long hotCapacity;
  private final LinkedHashMap<HotKey, byte[]> hot = new LinkedHashMap<>(256, 0.75f, true);
  private long hotBytes;
  private final java.util.concurrent.atomic.LongAdder hits = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder misses = new java.util.concurrent.atomic.LongAdder();
  /** Version directories by manifest instance, so that no upload id is hashed and no path formatted per call. */
  private final Map<ManifestRef, Path> versionDirs = new ConcurrentHashMap<>();
  /** Heap-layer keys whose segment the writer has not renamed into place yet: not evicted. Guarded by {@link #hot}. */
  private final java.util.Set<HotKey> pinned = new java.util.HashSet<>();
  private long pinnedBytes;
  private final long pinnedCapacity;
  private final BufferAllocator writerAllocator;
  private final java.util.concurrent.ExecutorService writer;

  private record HotKey(Path chunkDir, String fingerprint) {}

  /** A cache with no heap layer. */
  public LabelCache(Path dataDir) {
    this(dataDir, 0);
  }

  /** @param hotBytes heap kept for recently used columns */
  public LabelCache(Path dataDir, long hotBytes) {
    this(dataDir, hotBytes, null);
  }

  /**
   * @param hotBytes heap layer and background writer together (see the class comment)
   * @param writeBehindParent parent of the writer's allocator; null: every write is made by its caller
   */
  public LabelCache(Path dataDir, long hotBytes, BufferAllocator writeBehindParent) {
    boolean behind = writeBehindParent != null && hotBytes >= 4 << 20;
    this.hotCapacity = behind ? hotBytes - hotBytes / 4 : hotBytes;
    this.pinnedCapacity = behind ? hotCapacity / 4 : 0;
    this.writerAllocator = behind ? writeBehindParent.newChildAllocator("label cache writer", 0, hotBytes / 4) : null;
    this.writer = !behind ? null : java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "label-cache-writer");
      t.setDaemon(true);
      return t;
    });
    this.root = dataDir.resolve("cache");
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare cache directory " + root, e);
    }
  }

  /**
   * The cached columns of a chunk for the given fingerprints, in order; {@code null} where a column is
   * not cached (or its segment turned out corrupt, which is then removed). Reads each segment once.
   */
  public byte[][] read(Manifest manifest, int chunk, List<String> fingerprints, BufferAllocator allocator) {
    byte[][] out = new byte[fingerprints.size()][];
    Path dir = chunkDir(manifest, chunk);
    boolean all = true;
    synchronized (hot) {
      for (int i = 0; i < out.length; i++) {
        out[i] = hot.get(new HotKey(dir, fingerprints.get(i)));
        all &= out[i] != null;
      }
    }
    if (all) {
      hits.add(out.length);
      return out;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
      ChunkIndex index = index(manifest, chunk, allocator);
      Map<String, List<Integer>> bySegment = new LinkedHashMap<>();
      synchronized (index) {
        for (int i = 0; i < out.length; i++) {
          String segment = index.segmentOf.get(fingerprints.get(i));
          if (out[i] == null && segment != null) {
            bySegment.computeIfAbsent(segment, s -> new ArrayList<>()).add(i);
          }
        }
      }
      boolean vanished = false;
      for (Map.Entry<String, List<Integer>> e : bySegment.entrySet()) {
        try (VectorSchemaRoot seg = readSegment(index.dir.resolve(e.getKey()), allocator)) {
          for (int i : e.getValue()) {
            FieldVector v = seg.getVector(fingerprints.get(i));
            if (v instanceof TinyIntVector t && t.getValueCount() == manifest.chunk(chunk).rows()) {
              byte[] column = new byte[t.getValueCount()];
              t.getDataBuffer().getBytes(0, column);
              out[i] = column;
              remember(dir, fingerprints.get(i), column);
            }
          }
        } catch (NoSuchFileException gone) {
          vanished = true; // compacted away meanwhile: look the index up again
        } catch (CorruptDataException corrupt) {
          index.remove(e.getKey());
        }
      }
      if (!vanished) {
        break;
      }
    }
    int found = 0;
    for (byte[] column : out) {
      found += column == null ? 0 : 1;
    }
    hits.add(found);
    misses.add(out.length - found);
    return out;
  }

  /** LF columns found in the cache by {@link #read} since start (for metrics). */
  public long hits() {
    return hits.sum();
  }

  /** LF columns looked up by {@link #read} and not found, so computed (for metrics). */
  public long misses() {
    return misses.sum();
  }

  /**
   * Stores freshly computed columns of one chunk as segments of up to {@value #SEGMENT_COLUMNS} columns
   * (duplicate fingerprints stored once).
   */
  public void write(Manifest manifest, int chunk, List<String> fingerprints, byte[][] columns,
      BufferAllocator allocator) {
    Map<String, byte[]> distinct = distinct(fingerprints, columns);
    if (!distinct.isEmpty()) {
      store(manifest, chunk, distinct, allocator);
      distinct.forEach((print, column) -> remember(chunkDir(manifest, chunk), print, column));
    }
  }

  /**
   * As {@link #write}, but returns once the columns are in the heap layer (where {@link #read} finds them)
   * and leaves the disk write to the background writer; without one, or when too many columns already
   * wait for it, writes here like {@link #write}. The columns must not be modified afterwards.
   */
  public void writeBehind(Manifest manifest, int chunk, List<String> fingerprints, byte[][] columns,
      BufferAllocator allocator) {
    Map<String, byte[]> distinct = distinct(fingerprints, columns);
    long bytes = 0;
    for (byte[] column : distinct.values()) {
      bytes += column.length;
    }
    Path dir = chunkDir(manifest, chunk);
    synchronized (hot) {
      if (writer == null || distinct.isEmpty() || pinnedBytes + bytes > pinnedCapacity) {
        bytes = -1;
      } else {
        pinnedBytes += bytes;
        distinct.forEach((print, column) -> {
          pinned.add(new HotKey(dir, print));
          rememberLocked(dir, print, column);
        });
      }
    }
    if (bytes < 0) {
      write(manifest, chunk, fingerprints, columns, allocator);
      return;
    }
    long held = bytes;
    try {
      writer.execute(() -> {
        try {
          store(manifest, chunk, distinct, writerAllocator);
        } catch (RuntimeException | Error e) {
          // The columns stay on the heap until evicted, then are recomputed: a failed write costs time only.
          org.slf4j.LoggerFactory.getLogger(LabelCache.class).warn("label cache write in {} failed: {}", dir, e.toString());
        } finally {
          unpin(dir, distinct.keySet(), held);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      unpin(dir, distinct.keySet(), held);
      write(manifest, chunk, fingerprints, columns, allocator);
    }
  }

  /** Blocks until every write handed to the background writer so far is on disk (or failed). */
  public void flush() {
    if (writer == null) {
      return;
    }
    try {
      writer.submit(() -> { }).get();
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // Closed: close() waited for the writes already.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Finishes the background writes and frees the writer's allocator; the cache still works (writing in place). */
  public void close() {
    if (writer == null) {
      return;
    }
    writer.shutdown();
    try {
      if (!writer.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)) {
        org.slf4j.LoggerFactory.getLogger(LabelCache.class).warn("label cache writes still running at close");
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    writerAllocator.close();
  }

  private static Map<String, byte[]> distinct(List<String> fingerprints, byte[][] columns) {
    Map<String, byte[]> distinct = new LinkedHashMap<>();
    for (int i = 0; i < columns.length; i++) {
      distinct.putIfAbsent(fingerprints.get(i), columns[i]);
    }
    return distinct;
  }

  private void unpin(Path dir, Iterable<String> prints, long bytes) {
    synchronized (hot) {
      for (String print : prints) {
        pinned.remove(new HotKey(dir, print));
      }
      pinnedBytes -= bytes;
      evictLocked();
    }
  }

  /** Writes the columns as segments and indexes them; compacts the chunk's narrow segments if there are many. */
  private void store(Manifest manifest, int chunk, Map<String, byte[]> distinct, BufferAllocator allocator) {
    ChunkIndex index = index(manifest, chunk, allocator);
    // Segments of at most SEGMENT_COLUMNS columns: writing thousands of LFs never builds one huge file.
    Map<String, byte[]> segment = new LinkedHashMap<>();
    for (var it = distinct.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      segment.put(e.getKey(), e.getValue());
      if (segment.size() == SEGMENT_COLUMNS || !it.hasNext()) {
        String file = writeSegment(index.dir, segment, allocator);
        synchronized (index) {
          index.add(file, List.copyOf(segment.keySet()));
        }
        segment.clear();
      }
    }
    List<String> narrow;
    synchronized (index) {
      narrow = index.narrowSegments();
    }
    if (narrow.size() > COMPACT_AT) {
      compact(index, narrow, allocator);
    }
  }

  /** Number of segment files of a chunk (for tests and monitoring). */
  public int segments(Manifest manifest, int chunk, BufferAllocator allocator) {
    ChunkIndex index = index(manifest, chunk, allocator);
    synchronized (index) {
      return index.columnsOf.size();
    }
  }

  /** Removes every cached label of a dataset (all versions); call when the dataset is dropped. */
  public void drop(String dataset) {
    Path dir = root.resolve(dataset);
    flush(); // no background write recreates the directory afterwards
    indexes.keySet().removeIf(p -> p.startsWith(dir));
    versionDirs.keySet().removeIf(m -> m.manifest().name().equals(dataset));
    synchronized (hot) {
      hot.entrySet().removeIf(e -> {
        boolean gone = e.getKey().chunkDir().startsWith(dir);
        hotBytes -= gone ? e.getValue().length : 0;
        return gone;
      });
    }
    try {
      AtomicFiles.deleteRecursively(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot drop label cache of " + dataset, e);
    }
  }

  /** Keeps a column on the heap, evicting the least recently used ones beyond the capacity. */
  private void remember(Path dir, String fingerprint, byte[] column) {
    synchronized (hot) {
      rememberLocked(dir, fingerprint, column);
    }
  }

  private void rememberLocked(Path dir, String fingerprint, byte[] column) {
    HotKey key = new HotKey(dir, fingerprint);
    if (column.length > hotCapacity && !pinned.contains(key)) {
      return;
    }
    byte[] old = hot.put(key, column);
    hotBytes += column.length - (old == null ? 0 : old.length);
    evictLocked();
  }

  /** Least recently used first, skipping columns the writer still needs. */
  private void evictLocked() {
    var it = hot.entrySet().iterator();
    while (hotBytes > hotCapacity && it.hasNext()) {
      var e = it.next();
      if (!pinned.contains(e.getKey())) {
        hotBytes -= e.getValue().length;
        it.remove();
      }
    }
  }

  private Path chunkDir(Manifest manifest, int chunk) {
    ManifestRef ref = new ManifestRef(manifest);
    Path version = versionDirs.get(ref);
    if (version == null) {
      if (versionDirs.size() > 1024) {
        versionDirs.clear();
      }
      version = root.resolve(manifest.name())
          .resolve(String.format("v%06d-%s", manifest.version(), manifest.uploadId()));
      versionDirs.put(ref, version);
    }
    String n = Integer.toString(chunk);
    return version.resolve("chunk-" + "000000".substring(Math.min(6, n.length())) + n);
  }

  /** A manifest by identity (the dataset store hands out one instance per version), hashed without walking its chunks. */
  private record ManifestRef(Manifest manifest) {
    @Override
    public boolean equals(Object o) {
      return o instanceof ManifestRef r && r.manifest == manifest;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(manifest);
    }
  }

  private ChunkIndex index(Manifest manifest, int chunk, BufferAllocator allocator) {
    Path dir = chunkDir(manifest, chunk);
    return indexes.computeIfAbsent(dir, d -> ChunkIndex.load(d, allocator));
  }

  private void compact(ChunkIndex index, List<String> narrow, BufferAllocator allocator) {
    Map<String, byte[]> merged = new LinkedHashMap<>();
    List<String> absorbed = new ArrayList<>();
    for (String segment : narrow) {
      try (VectorSchemaRoot seg = readSegment(index.dir.resolve(segment), allocator)) {
        if (merged.size() + seg.getSchema().getFields().size() > SEGMENT_COLUMNS) {
          break;
        }
        for (FieldVector v : seg.getFieldVectors()) {
          byte[] column = new byte[v.getValueCount()];
          v.getDataBuffer().getBytes(0, column);
          merged.put(v.getName(), column);
        }
        absorbed.add(segment);
      } catch (IOException | CorruptDataException e) {
        index.remove(segment);
      }
    }
    if (absorbed.size() < 2) {
      return;
    }
    String file = writeSegment(index.dir, merged, allocator);
    synchronized (index) {
      index.add(file, merged.keySet());
      for (String old : absorbed) {
        index.forget(old);
      }
    }
    for (String old : absorbed) {
      try {
        Files.deleteIfExists(index.dir.resolve(old));
      } catch (IOException ignored) {
        // An unused segment left behind costs space only; it is not referenced any more.
      }
    }
  }

  private static String writeSegment(Path dir, Map<String, byte[]> columns, BufferAllocator allocator) {
    List<Field> fields = new ArrayList<>(columns.size());
    for (String fingerprint : columns.keySet()) {
      fields.add(new Field(fingerprint, FieldType.notNullable(new ArrowType.Int(8, true)), null));
    }
    Path tmp = dir.resolve(".seg-" + randomTag() + ".tmp");
    try (VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(fields), allocator)) {
      int rows = 0;
      int i = 0;
      for (byte[] column : columns.values()) {
        TinyIntVector v = (TinyIntVector) root.getVector(i++);
        rows = column.length;
        v.allocateNew(rows);
        v.getDataBuffer().setBytes(0, column, 0, rows);
        v.getValidityBuffer().setOne(0, (rows + 7) / 8);
        v.setValueCount(rows);
      }
      root.setRowCount(rows);
      Files.createDirectories(dir);
      // Straight from the Arrow buffers to the file, checksummed on the way (no heap copy of the segment).
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      try (FileChannel file = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
           ArrowFileWriter writer = new ArrowFileWriter(root, null, new ChecksummedChannel(file, crc))) {
        writer.start();
        writer.writeBatch();
        writer.end();
      }
      String hex = Long.toHexString(crc.getValue());
      String name = "seg-" + "00000000".substring(hex.length()) + hex + "-" + randomTag() + ".arrow";
      AtomicFiles.move(tmp, dir.resolve(name));
      return name;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write label cache segment in " + dir, e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // A leftover temporary file is never read (only seg-*.arrow files are).
      }
    }
  }

  /** Eight hex digits that keep concurrent writers' names apart (not a secret: no SecureRandom). */
  private static String randomTag() {
    String hex = Integer.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextInt());
    return "00000000".substring(hex.length()) + hex;
  }

  /** Passes writes through to a file while checksumming them; closing is left to the file's owner. */
  private record ChecksummedChannel(FileChannel file, java.util.zip.CRC32C crc) implements WritableByteChannel {
    @Override
    public int write(java.nio.ByteBuffer src) throws IOException {
      java.nio.ByteBuffer view = src.duplicate();
      int n = file.write(src);
      view.limit(view.position() + n);
      crc.update(view);
      return n;
    }

    @Override
    public boolean isOpen() {
      return file.isOpen();
    }

    @Override
    public void close() {
    }
  }

  /** Reads a segment after checking it against the CRC32C in its name. */
  private static VectorSchemaRoot readSegment(Path file, BufferAllocator allocator) throws NoSuchFileException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw e;
    } catch (IOException e) {
      throw new CorruptDataException("label cache segment " + file + " cannot be read: " + e);
    }
    String name = file.getFileName().toString();
    long expected = Long.parseLong(name.substring(4, 12), 16);
    if (AtomicFiles.crc32c(bytes) != expected) {
      throw new CorruptDataException("label cache segment " + file + " is corrupt");
    }
    return ArrowFiles.readSingleBatch(bytes, allocator, "label cache segment " + file);
  }


  /** Which segment holds each fingerprint, for one chunk directory. Guarded by its own monitor. */
  private static final class ChunkIndex {
    final Path dir;
    final Map<String, String> segmentOf = new HashMap<>();
    final Map<String, LinkedHashSet<String>> columnsOf = new LinkedHashMap<>();

    ChunkIndex(Path dir) {
      this.dir = dir;
    }

    static ChunkIndex load(Path dir, BufferAllocator allocator) {
      ChunkIndex index = new ChunkIndex(dir);
      if (!Files.isDirectory(dir)) {
        return index;
      }
      List<Path> files = new ArrayList<>();
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "seg-*.arrow")) {
        entries.forEach(files::add);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list label cache " + dir, e);
      }
      // Oldest first, so that a column found in several segments (left by an interrupted compaction)
      // resolves to the newest.
      files.sort(Comparator.comparing(ChunkIndex::modified));
      for (Path file : files) {
        try (var channel = Files.newByteChannel(file);
             ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
          List<String> names = reader.getVectorSchemaRoot().getSchema().getFields().stream().map(Field::getName).toList();
          index.add(file.getFileName().toString(), names);
        } catch (org.apache.arrow.memory.OutOfMemoryException e) {
          throw e;
        } catch (IOException | RuntimeException e) {
          // Unreadable footer: the segment is unusable; it will be recomputed.
          try {
            Files.deleteIfExists(file);
          } catch (IOException ignored) {
            // Left in place; never referenced.
          }
        }
      }
      return index;
    }

    private static long modified(Path p) {
      try {
        return Files.getLastModifiedTime(p).toMillis();
      } catch (IOException e) {
        return 0;
      }
    }

    void add(String segment, Iterable<String> fingerprints) {
      LinkedHashSet<String> cols = new LinkedHashSet<>();
      for (String f : fingerprints) {
        cols.add(f);
        segmentOf.put(f, segment);
      }
      columnsOf.put(segment, cols);
    }

    /** Forgets a segment whose columns live elsewhere now. */
    void forget(String segment) {
      columnsOf.remove(segment);
    }

    /** Drops a segment and every column that pointed at it. */
    synchronized void remove(String segment) {
      columnsOf.remove(segment);
      segmentOf.values().removeIf(segment::equals);
      try {
        Files.deleteIfExists(dir.resolve(segment));
      } catch (IOException ignored) {
        // Unreferenced now.
      }
    }

    /** Segments of fewer than {@value #WIDE_AT} columns: compaction merges these only, so it rewrites a column at most once. */
    List<String> narrowSegments() {
      List<String> out = new ArrayList<>();
      columnsOf.forEach((segment, cols) -> {
        if (cols.size() < WIDE_AT) {
          out.add(segment);
        }
      });
      return out;
    }
  }
}
