package dev.labelflight.engine.apply;

import dev.labelflight.engine.cache.LabelCache;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.cache.LfFingerprint;
import dev.labelflight.engine.derive.DerivedColumn;
import dev.labelflight.engine.derive.DerivedColumnStore;
import dev.labelflight.engine.lf.CompiledLfSet;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfCompiler;
import dev.labelflight.engine.lf.LfRowException;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.lf.ResidentText;
import dev.labelflight.engine.lf.python.ChunkOrigin;
import dev.labelflight.engine.memory.footprint.ChunkFootprint;
import dev.labelflight.engine.memory.footprint.DerivedFootprint;
import dev.labelflight.engine.memory.footprint.LabelFootprint;
import dev.labelflight.engine.memory.footprint.ResidentFootprint;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.ChunkSource;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.engine.store.MappedChunks;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Labels one chunk of a dataset through the label cache: LFs whose columns are cached for the chunk are
 * read, only the others are compiled (once per set, shared by all chunks and threads), evaluated over
 * the chunk and written to the cache as one segment. LFs may read the dataset's derived columns
 * ({@link DerivedColumnStore}), which are read beside the chunk. Faults of fault-tolerant LFs are
 * stored in the cache as {@link LabelSpace#FAULT} and counted from there, so a chunk's faults are the same
 * whether its columns were computed or cached. Labelling observes the cancel token bound to the thread
 * ({@link CancelToken#within}, which the job's owner does around a chunk task): a cancelled chunk stops
 * within milliseconds, frees what it read and writes nothing to the cache. Thread-safe.
 */
public final class ChunkLabeler {
  private static final int COMPILED_SETS_KEPT = 32;

  private final DatasetStore datasets;
  private final LabelCache cache;
  private final LfCompiler compiler;
  private final DerivedColumnStore derived;
  private final LongAdder lfChunkEvaluations = new LongAdder();
  private final Map<String, CompiledLfSet> compiled = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, CompiledLfSet> eldest) {
      return size() > COMPILED_SETS_KEPT;
    }
  };

  /**
   * A job's LFs: specs, classes and the cache fingerprint of each spec, in job order; the derived
   * columns the LFs read (as they were defined when the job started) and the schema they compile
   * against (null: the dataset's own).
   */
  public record JobLfs(List<LfSpec> specs, LabelSpace labels, List<String> fingerprints, List<DerivedColumn> derived,
      Schema schema) {
    /** LFs over a dataset's own columns only. */
    public static JobLfs of(List<LfSpec> specs, LabelSpace labels) {
      return new JobLfs(List.copyOf(specs), labels, LfFingerprint.of(specs, labels), List.of(), null);
    }

    public List<String> names() {
      return specs.stream().map(LfSpec::name).toList();
    }

    /** Each LF's class index, in job order (-1 for an expression returning class indexes). */
    public int[] lfClasses() {
      return specs.stream().mapToInt(labels::lfClass).toArray();
    }
  }

  /**
   * What one chunk produced: its label payload identity, the job positions of the LFs computed (not
   * cached), the faults of each fault-tolerant LF on the chunk (null if none), and the label columns
   * themselves in job order (as stored; shared with the cache, not to be modified).
   */
  public record Result(int chunk, int rows, AtomicFiles.Written payload, long evalNanos, int[] computed, int[] faults,
      byte[][] columns) {

    /** The label columns one after the other, for a job that runs on another node. */
    public byte[] concatenatedColumns() {
      byte[] out = new byte[Math.multiplyExact(rows, columns.length)];
      for (int i = 0; i < columns.length; i++) {
        System.arraycopy(columns[i], 0, out, i * rows, rows);
      }
      return out;
    }
  }

  /** The compiler this labeler evaluates with (the node's services: model registry, Python worker pool). */
  public LfCompiler compiler() {
    return compiler;
  }

  public ChunkLabeler(DatasetStore datasets, LabelCache cache, LfCompiler compiler) {
    this.datasets = datasets;
    this.cache = cache;
    this.compiler = compiler;
    this.derived = new DerivedColumnStore(datasets);
  }

  /** The derived columns of the datasets this labeler reads. */
  public DerivedColumnStore derived() {
    return derived;
  }

  /**
   * A job's LFs over a dataset version as it is now: the derived columns each LF mentions (as a column or
   * an identifier in any of its fields) go into its fingerprint and are read with every chunk.
   */
  public JobLfs jobLfs(Manifest manifest, List<LfSpec> specs, LabelSpace labels) {
    List<DerivedColumn> all = derived.columns(manifest);
    if (all.isEmpty()) {
      return JobLfs.of(specs, labels);
    }
    List<DerivedColumn> used = new ArrayList<>();
    List<String> prints = new ArrayList<>(specs.size());
    for (LfSpec spec : specs) {
      List<String> salt = new ArrayList<>();
      for (DerivedColumn c : all) {
        if (mentions(spec.json(), c.name(), true)) {
          salt.add(c.name() + "=" + c.id());
          if (!used.contains(c)) {
            used.add(c);
          }
        }
      }
      prints.add(LfFingerprint.of(spec, labels, salt));
    }
    return new JobLfs(List.copyOf(specs), labels, prints, List.copyOf(used), DerivedColumnStore.schema(manifest, all));
  }

  /** True if some string in the LF (but its name) holds {@code name} as a whole identifier. */
  private static boolean mentions(com.fasterxml.jackson.databind.JsonNode node, String name, boolean top) {
    if (node.isTextual()) {
      String text = node.asText();
      for (int at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
        int end = at + name.length();
        if ((at == 0 || !identifierPart(text.charAt(at - 1))) && (end == text.length() || !identifierPart(text.charAt(end)))) {
          return true;
        }
      }
      return false;
    }
    for (var it = node.fields(); it.hasNext(); ) {
      var field = it.next();
      if (!(top && field.getKey().equals("name")) && mentions(field.getValue(), name, false)) {
        return true;
      }
    }
    for (com.fasterxml.jackson.databind.JsonNode item : node) {
      if (node.isArray() && mentions(item, name, false)) {
        return true;
      }
    }
    return false;
  }

  private static boolean identifierPart(char c) {
    return Character.isLetterOrDigit(c) || c == '_';
  }

  /** LF columns computed so far (one per LF per chunk), for monitoring and tests. */
  public long lfChunkEvaluations() {
    return lfChunkEvaluations.sum();
  }

  /**
   * Labels one chunk. {@code resident} is the chunk already in memory, or null to read it from disk
   * (only if some LF is not cached). Cached and computed columns together give the payload.
   */
  public Result label(Manifest manifest, int chunkIndex, JobLfs lfs, BufferAllocator allocator,
      VectorSchemaRoot resident) {
    return label(manifest, chunkIndex, lfs, allocator, resident, null);
  }

  /** As above for a resident chunk whose text columns are kept in {@code text} for every job. */
  public Result label(Manifest manifest, int chunkIndex, JobLfs lfs, BufferAllocator allocator,
      VectorSchemaRoot resident, ResidentText text) {
    return label(manifest, chunkIndex, lfs, allocator, resident, text,
        (m, i, a) -> MappedChunks.read(datasets, m, i, a), true);
  }

  /**
   * Labels one chunk whose data, if some LF is not cached, is read from {@code source} (a chunk fetched
   * from its owner node, for instance).
   */
  public Result labelFrom(Manifest manifest, int chunkIndex, JobLfs lfs, BufferAllocator allocator,
      ChunkSource source) {
    return label(manifest, chunkIndex, lfs, allocator, null, null, source, false);
  }

  /** {@code local}: the chunk is this store's own file (evaluators in other processes may map it). */
  private Result label(Manifest manifest, int chunkIndex, JobLfs lfs, BufferAllocator allocator,
      VectorSchemaRoot resident, ResidentText text, ChunkSource source, boolean local) {
    // A cancelled job reads nothing more; evaluation checks again between and inside the evaluators.
    CancelToken.check();
    Manifest.Chunk chunk = manifest.chunk(chunkIndex);
    ChunkOrigin origin = new ChunkOrigin(manifest.name(), manifest.version(), chunkIndex, chunk.firstRow(),
        local ? datasets.versionDir(manifest.name(), manifest.version()).resolve(chunk.file()) : null);
    byte[][] columns = cache.read(manifest, chunkIndex, lfs.fingerprints(), allocator);
    // One computed column per distinct missing fingerprint.
    Map<String, Integer> missing = new LinkedHashMap<>();
    for (int i = 0; i < columns.length; i++) {
      if (columns[i] == null) {
        missing.putIfAbsent(lfs.fingerprints().get(i), i);
      }
    }
    long evalNanos = 0;
    if (!missing.isEmpty()) {
      List<LfSpec> todo = new ArrayList<>(missing.size());
      List<String> todoPrints = new ArrayList<>(missing.size());
      Map<String, Integer> computedIndex = new java.util.HashMap<>();
      missing.forEach((print, i) -> {
        computedIndex.put(print, todo.size());
        todo.add(lfs.specs().get(i));
        todoPrints.add(print);
      });
      CompiledLfSet set = compiledFor(manifest, todo, todoPrints, lfs);
      byte[][] computed;
      long start;
      List<FieldVector> extra = derived.read(manifest, lfs.derived(), chunkIndex, allocator);
      try {
        if (resident != null) {
          start = System.nanoTime();
          VectorSchemaRoot view = extra.isEmpty() ? resident : DerivedColumnStore.view(resident, extra);
          computed = origin.within(() -> set.evaluate(view, null, text));
        } else {
          try (VectorSchemaRoot data = source.read(manifest, chunkIndex, allocator)) {
            start = System.nanoTime();
            VectorSchemaRoot view = extra.isEmpty() ? data : DerivedColumnStore.view(data, extra);
            computed = origin.within(() -> set.evaluate(view));
          }
        }
        evalNanos = System.nanoTime() - start;
      } catch (LfRowException e) {
        throw e.inDataset(chunk.firstRow());
      } finally {
        extra.forEach(FieldVector::close);
      }
      if (resident != null) {
        // The chunk stays in memory: its columns are served from the cache's heap layer until on disk.
        cache.writeBehind(manifest, chunkIndex, todoPrints, computed, allocator);
      } else {
        cache.write(manifest, chunkIndex, todoPrints, computed, allocator);
      }
      lfChunkEvaluations.add(computed.length);
      for (int i = 0; i < columns.length; i++) {
        if (columns[i] == null) {
          columns[i] = computed[computedIndex.get(lfs.fingerprints().get(i))];
        }
      }
    }
    int[] computed = missing.values().stream().mapToInt(Integer::intValue).toArray();
    return new Result(chunkIndex, chunk.rows(), LabelStore.payload(columns), evalNanos, computed,
        faults(lfs.specs(), columns), columns);
  }

  /** Faults per LF position, counted in the columns of fault-tolerant LFs; null when there are none. */
  private static int[] faults(List<LfSpec> specs, byte[][] columns) {
    int[] faults = null;
    for (int i = 0; i < columns.length; i++) {
      var flag = specs.get(i).json().get("faultTolerant");
      if (flag != null && flag.asBoolean(false)) {
        int n = LabelSpace.countFaults(columns[i]);
        if (n > 0) {
          faults = faults != null ? faults : new int[columns.length];
          faults[i] = n;
        }
      }
    }
    return faults;
  }

  private CompiledLfSet compiledFor(Manifest manifest, List<LfSpec> specs, List<String> prints, JobLfs lfs) {
    LabelSpace labels = lfs.labels();
    String key = manifest.name() + "@" + manifest.version() + ":" + String.join(",", prints);
    synchronized (compiled) {
      CompiledLfSet set = compiled.get(key);
      if (set != null) {
        return set;
      }
    }
    CompiledLfSet set = compiler.compile(specs, labels, lfs.schema() != null ? lfs.schema() : manifest.arrowSchema());
    synchronized (compiled) {
      compiled.put(key, set);
    }
    return set;
  }
}
