package dev.labelflight.engine.cache;

import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.store.ArrowFiles;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.Manifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
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
import java.util.UUID;
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
 * segments they are merged into segments of up to {@value #SEGMENT_COLUMNS} columns. The index
 * (fingerprint to segment) is rebuilt from segment footers on first use, so the cache survives a
 * restart. Files appear by atomic rename and carry their CRC32C in their name, checked on every read:
 * no fsync, since a torn or lost segment is detected and recomputed, never trusted. The most recently
 * written or read columns are also kept on the heap, up to {@code hotBytes} (the owner accounts for
 * them in its memory budget), so that the edit-one-LF-and-rerun loop does not go back to disk for the
 * columns it just saw. Blocking.
 */
public final class LabelCache {
  public static final int SEGMENT_COLUMNS = 64;
  static final int COMPACT_AT = 16;

  private final Path root;
  private final Map<Path, ChunkIndex> indexes = new ConcurrentHashMap<>();
  private final long hotCapacity;
  private final LinkedHashMap<HotKey, byte[]> hot = new LinkedHashMap<>(256, 0.75f, true);
  private long hotBytes;
  private final java.util.concurrent.atomic.LongAdder hits = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder misses = new java.util.concurrent.atomic.LongAdder();

  private record HotKey(Path chunkDir, String fingerprint) {}

  /** A cache with no heap layer. */
  public LabelCache(Path dataDir) {
    this(dataDir, 0);
  }

  /** @param hotBytes heap kept for recently used columns */
  public LabelCache(Path dataDir, long hotBytes) {
    this.hotCapacity = hotBytes;
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
    Map<String, byte[]> distinct = new LinkedHashMap<>();
    for (int i = 0; i < columns.length; i++) {
      distinct.putIfAbsent(fingerprints.get(i), columns[i]);
    }
    if (distinct.isEmpty()) {
      return;
    }
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
    distinct.forEach((print, column) -> remember(index.dir, print, column));
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
    indexes.keySet().removeIf(p -> p.startsWith(dir));
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
    if (column.length > hotCapacity) {
      return;
    }
    synchronized (hot) {
      byte[] old = hot.put(new HotKey(dir, fingerprint), column);
      hotBytes += column.length - (old == null ? 0 : old.length);
      var it = hot.entrySet().iterator();
      while (hotBytes > hotCapacity && it.hasNext()) {
        hotBytes -= it.next().getValue().length;
        it.remove();
      }
    }
  }

  private Path chunkDir(Manifest manifest, int chunk) {
    return root.resolve(manifest.name())
        .resolve(String.format("v%06d-%s", manifest.version(), manifest.uploadId()))
        .resolve(String.format("chunk-%06d", chunk));
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
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
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
      try (ArrowFileWriter writer = new ArrowFileWriter(root, null, Channels.newChannel(bytes))) {
        writer.start();
        writer.writeBatch();
        writer.end();
      }
      byte[] content = bytes.toByteArray();
      String name = String.format("seg-%08x-%s.arrow", AtomicFiles.crc32c(content),
          UUID.randomUUID().toString().substring(0, 8));
      Files.createDirectories(dir);
      Path tmp = dir.resolve("." + name + ".tmp");
      try {
        Files.write(tmp, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        AtomicFiles.move(tmp, dir.resolve(name));
      } finally {
        Files.deleteIfExists(tmp);
      }
      return name;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write label cache segment in " + dir, e);
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

    List<String> narrowSegments() {
      List<String> out = new ArrayList<>();
      columnsOf.forEach((segment, cols) -> {
        if (cols.size() < SEGMENT_COLUMNS) {
          out.add(segment);
        }
      });
      return out;
    }
  }
}
