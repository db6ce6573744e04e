package dev.labelflight.engine.apply;

import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.ArrowFiles;
import dev.labelflight.engine.store.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A job's label matrix on disk: {@code jobs/JOB/labels-NNNNNN.arrow}, one file per dataset chunk holding
 * {@code row_id} and one int8 column per LF, each written atomically. Blocking: call from workers.
 */
public final class LabelStore {
  private static final Pattern JOB_ID = Pattern.compile("[a-z0-9-]{1,64}");
  public static final String ROW_ID = "row_id";

  private final Path root;

  public LabelStore(Path dataDir) {
    this.root = dataDir.resolve("jobs");
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare job directory " + root, e);
    }
  }

  /** The schema of a job's label stream: {@code row_id} then one int8 column per LF. */
  public static Schema schema(List<String> lfNames) {
    List<Field> fields = new ArrayList<>(lfNames.size() + 1);
    fields.add(new Field(ROW_ID, FieldType.notNullable(new ArrowType.Int(64, true)), null));
    for (String name : lfNames) {
      fields.add(new Field(name, FieldType.notNullable(new ArrowType.Int(8, true)), null));
    }
    return new Schema(fields);
  }

  public static String validateJobId(String job) {
    if (job == null || !JOB_ID.matcher(job).matches()) {
      throw LabelFlightException.invalid("'" + job + "' is not a job id");
    }
    return job;
  }

  /** Writes one chunk's labels; returns size and checksum for later verification. */
  public AtomicFiles.Written write(String job, int chunk, long firstRow, List<String> lfNames, byte[][] labels,
      BufferAllocator allocator) {
    int rows = labels.length == 0 ? 0 : labels[0].length;
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema(lfNames), allocator)) {
      BigIntVector rowId = (BigIntVector) root.getVector(0);
      rowId.allocateNew(rows);
      for (int i = 0; i < rows; i++) {
        rowId.set(i, firstRow + i);
      }
      rowId.setValueCount(rows);
      for (int lf = 0; lf < labels.length; lf++) {
        TinyIntVector column = (TinyIntVector) root.getVector(lf + 1);
        column.allocateNew(rows);
        column.getDataBuffer().setBytes(0, labels[lf], 0, rows);
        column.getValidityBuffer().setOne(0, (rows + 7) / 8);
        column.setValueCount(rows);
      }
      root.setRowCount(rows);
      Path dir = root(job);
      Files.createDirectories(dir);
      return ArrowFiles.writeSingleBatch(chunkPath(job, chunk), root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write labels of chunk " + chunk + " of job " + job, e);
    }
  }

  /** Reads one chunk's labels, checking them against the size and checksum recorded when written. */
  public VectorSchemaRoot read(String job, int chunk, AtomicFiles.Written expected, BufferAllocator allocator) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(chunkPath(job, chunk));
    } catch (IOException e) {
      throw new CorruptDataException("labels of chunk " + chunk + " of job " + job + " cannot be read: " + e);
    }
    if (bytes.length != expected.bytes() || AtomicFiles.crc32c(bytes) != expected.crc32c()) {
      throw new CorruptDataException("labels of chunk " + chunk + " of job " + job + " are corrupt");
    }
    return ArrowFiles.readSingleBatch(bytes, allocator, "labels of chunk " + chunk + " of job " + job);
  }

  public void delete(String job) {
    Path dir = root(job);
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path root(String job) {
    return root.resolve(validateJobId(job));
  }

  Path chunkPath(String job, int chunk) {
    return root(job).resolve(String.format("labels-%06d.arrow", chunk));
  }

}
