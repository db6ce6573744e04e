package dev.labelflight.engine.apply;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.cache.LabelCache;
import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.DatasetStore;
import dev.labelflight.engine.store.Manifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import dev.labelflight.engine.lf.LabelSpace;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A job's label matrix. The labels themselves live once in the {@link LabelCache}; a job only stores
 * {@code jobs/JOB/job.json} (dataset version, LF names and their fingerprints), and {@link #read}
 * assembles a chunk's {@code row_id} plus one int8 (int16 above {@value LabelSpace#INT8_CLASSES} classes)
 * column per LF from the cache. A chunk's identity is
 * its {@link #payload}: size and CRC32C of its label columns in job order, which the coordinator reports
 * with progress and {@link #read} checks. Blocking: call from workers.
 */
public final class LabelStore {
  private static final Pattern JOB_ID = Pattern.compile("[a-z0-9-]{1,64}");
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String ROW_ID = "row_id";

  private final Path root;
  private final DatasetStore datasets;
  private final LabelCache cache;
  private final Map<String, JobLabels> jobs = new ConcurrentHashMap<>();

  /**
   * What a job's labels are made of: the LFs' names and fingerprints, the number of classes (over
   * {@value LabelSpace#INT8_CLASSES} the columns are int16), whether the job is multi-label and each LF's
   * class (-1 for an expression returning class indexes), and which LFs are fault-tolerant (only their
   * columns may hold {@link LabelSpace#FAULT}; null: unknown, every column is checked).
   */
  public record JobLabels(String dataset, int version, List<String> names, List<String> fingerprints, int classes,
      boolean multiLabel, int[] lfClasses, boolean[] faultTolerant) {
    /** A job of at most {@value LabelSpace#INT8_CLASSES} classes whose stored codes are its labels. */
    public JobLabels(String dataset, int version, List<String> names, List<String> fingerprints) {
      this(dataset, version, names, fingerprints, 0, false, null, null);
    }

    public static JobLabels of(String dataset, int version, ChunkLabeler.JobLfs lfs) {
      boolean[] faultTolerant = new boolean[lfs.specs().size()];
      for (int i = 0; i < faultTolerant.length; i++) {
        var flag = lfs.specs().get(i).json().get("faultTolerant");
        faultTolerant[i] = flag != null && flag.asBoolean(false);
      }
      return new JobLabels(dataset, version, lfs.names(), lfs.fingerprints(), lfs.labels().size(),
          lfs.labels().multiLabel(), lfs.lfClasses(), faultTolerant);
    }

    /** Whether LF {@code i}'s column may hold faults. */
    boolean mayFault(int i) {
      return faultTolerant == null || faultTolerant[i];
    }

    public boolean int16() {
      return LabelSpace.int16(classes);
    }
  }

  public LabelStore(Path dataDir, DatasetStore datasets, LabelCache cache) {
    this.root = dataDir.resolve("jobs");
    this.datasets = datasets;
    this.cache = cache;
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare job directory " + root, e);
    }
  }

  public LabelCache cache() {
    return cache;
  }

  /** The schema of a job's label stream: {@code row_id} then one int8 column per LF. */
  public static Schema schema(List<String> lfNames) {
    return schema(lfNames, false);
  }

  /** The schema of a job's label stream: {@code row_id} then one int8 (or int16) column per LF. */
  public static Schema schema(List<String> lfNames, boolean int16) {
    List<Field> fields = new ArrayList<>(lfNames.size() + 1);
    fields.add(new Field(ROW_ID, FieldType.notNullable(new ArrowType.Int(64, true)), null));
    ArrowType label = new ArrowType.Int(int16 ? 16 : 8, true);
    for (String name : lfNames) {
      fields.add(new Field(name, FieldType.notNullable(label), null));
    }
    return new Schema(fields);
  }

  public static String validateJobId(String job) {
    if (job == null || !JOB_ID.matcher(job).matches()) {
      throw LabelFlightException.invalid("'" + job + "' is not a job id");
    }
    return job;
  }

  /** Size and CRC32C of a chunk's label columns, concatenated in job order. */
  public static AtomicFiles.Written payload(byte[][] columns) {
    CRC32C crc = new CRC32C();
    long bytes = 0;
    for (byte[] column : columns) {
      crc.update(column, 0, column.length);
      bytes += column.length;
    }
    return new AtomicFiles.Written(bytes, crc.getValue());
  }

  /**
   * Records what a new job is made of, before any of its chunks is reported. Not fsynced: jobs do not
   * outlive the process (the labels do, in the cache), the file only lets tools see what a job was.
   */
  public void create(String job, JobLabels labels) {
    try {
      Path dir = root.resolve(validateJobId(job));
      Files.createDirectories(dir);
      Files.write(dir.resolve("job.json"), JSON.writeValueAsBytes(labels));
      jobs.put(job, labels);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record job " + job, e);
    }
  }

  public JobLabels job(String job) {
    JobLabels known = jobs.get(validateJobId(job));
    if (known != null) {
      return known;
    }
    try {
      JobLabels loaded = JSON.readValue(root.resolve(job).resolve("job.json").toFile(), JobLabels.class);
      jobs.put(job, loaded);
      return loaded;
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      throw LabelFlightException.notFound("job '" + job + "' has no labels");
    } catch (IOException e) {
      throw new CorruptDataException("job " + job + " is unreadable: " + e.getMessage());
    }
  }

  /**
   * Reads one chunk's labels ({@code row_id} + one int8 column per LF, int16 for a job of more than
   * {@value LabelSpace#INT8_CLASSES} classes) from the cache, checking them against the payload size and
   * checksum reported when the chunk was done.
   */
  public VectorSchemaRoot read(String job, int chunk, AtomicFiles.Written expected, BufferAllocator allocator) {
    JobLabels labels = job(job);
    Manifest manifest = datasets.manifest(labels.dataset(), labels.version());
    Manifest.Chunk c = manifest.chunk(chunk);
    byte[][] columns = cache.read(manifest, chunk, labels.fingerprints(), allocator);
    for (byte[] column : columns) {
      if (column == null) {
        throw new CorruptDataException("labels of chunk " + chunk + " of job " + job + " are no longer cached");
      }
    }
    if (!payload(columns).equals(expected)) {
      throw new CorruptDataException("labels of chunk " + chunk + " of job " + job + " are corrupt");
    }
    VectorSchemaRoot root = VectorSchemaRoot.create(schema(labels.names(), labels.int16()), allocator);
    try {
      int rows = c.rows();
      BigIntVector rowId = (BigIntVector) root.getVector(0);
      rowId.allocateNew(rows);
      // Straight into the data buffer (its capacity was just allocated for the rows): row_id has no
      // nulls, so validity is set in one go.
      long ids = rowId.getDataBuffer().memoryAddress();
      long first = c.firstRow();
      for (int i = 0; i < rows; i++) {
        MemoryUtil.putLong(ids + (long) i * Long.BYTES, first + i);
      }
      rowId.getValidityBuffer().setOne(0, (rows + 7) / 8);
      rowId.setValueCount(rows);
      boolean wideVotes = !labels.multiLabel() && labels.int16();
      for (int lf = 0; lf < columns.length; lf++) {
        FieldVector column = root.getVector(lf + 1);
        if (column instanceof SmallIntVector wide) {
          wide.allocateNew(rows);
          // Codes widen to int16; a single-label job's "votes" become the LF's class (LabelSpace.decode).
          ArrowBuf data = wide.getDataBuffer();
          byte[] codes = columns[lf];
          int lfClass = labels.lfClasses()[lf];
          for (int i = 0; i < rows; i++) {
            data.setShort((long) i * Short.BYTES, LabelSpace.decode(codes[i], lfClass, wideVotes));
          }
        } else {
          ((TinyIntVector) column).allocateNew(rows);
          column.getDataBuffer().setBytes(0, labels.mayFault(lf) ? LabelSpace.withoutFaults(columns[lf]) : columns[lf], 0, rows);
        }
        column.getValidityBuffer().setOne(0, (rows + 7) / 8);
        column.setValueCount(rows);
      }
      root.setRowCount(rows);
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  /**
   * Where a row selection uploaded for {@code job} is kept (beside its labels, deleted with the job):
   * {@code jobs/JOB/selection-ID.bits}.
   */
  public Path selectionFile(String job, String id) {
    if (!id.matches("[0-9a-f-]{1,64}")) {
      throw LabelFlightException.invalid("'" + id + "' is not a row selection id");
    }
    return root.resolve(validateJobId(job)).resolve("selection-" + id + ".bits");
  }

  public void delete(String job) {
    jobs.remove(job);
    try {
      AtomicFiles.deleteRecursively(root.resolve(validateJobId(job)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
