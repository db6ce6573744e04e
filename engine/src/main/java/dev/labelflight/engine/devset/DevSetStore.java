package dev.labelflight.engine.devset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.DatasetNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The hand-labelled dev sets of the node's datasets: one file per dataset version,
 * {@code devsets/OWNER~NAME/vNNNNNN.json} ({@code {"dataset", "version", "updated", "user", "rows": [ids],
 * "labels": [class names], "crc32c"}}), written atomically (temp file, fsync, rename) with a checksum of its
 * rows and labels that every read checks. Labels are class names, so a dev set outlives edits of the LF
 * set's label space; readers map them to a job's classes ({@link DevSet#gold}). Stored under the dataset's
 * stored name, so each user's dev sets are theirs alone. Blocking (disk); saves of one dev set are
 * serialized across every store of the JVM (reads need no lock: files are replaced by rename).
 */
public final class DevSetStore {
  /** Most labelled rows one dev set may hold (hand labels: a few thousand is typical). */
  public static final int MAX_ROWS = 100_000;
  /** Longest class name accepted. */
  public static final int MAX_LABEL_LENGTH = 256;
  /** Most label changes one save may carry (a whole dev set). */
  public static final int MAX_CHANGES = MAX_ROWS;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path root;
  /** One lock per dev-set file for the whole JVM: the page's and Flight's stores write the same files. */
  private static final Map<Path, Object> LOCKS = new ConcurrentHashMap<>();

  public DevSetStore(Path dataDir) {
    this.root = dataDir.resolve("devsets");
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare dev set directory " + root, e);
    }
  }

  /** The dev set of a dataset version (stored name), empty if nothing was labelled yet. */
  public DevSet get(String dataset, int version) {
    Path file = file(dataset, version);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return DevSet.empty(DatasetNames.display(dataset), version);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the dev set of '" + DatasetNames.display(dataset) + "' v" + version, e);
    }
    return parse(dataset, version, bytes);
  }

  /**
   * Applies label changes to the dev set of a dataset version with {@code rowsTotal} rows: each entry sets
   * a row's class name, or removes its label when the name is null. Returns the dev set as stored.
   * INVALID_ARGUMENT names a row out of range, a bad class name, or a dev set that would exceed
   * {@link #MAX_ROWS}; nothing is written then.
   */
  public DevSet label(String dataset, int version, long rowsTotal, Map<Long, String> changes, String user) {
    String shown = DatasetNames.display(dataset);
    if (changes.size() > MAX_CHANGES) {
      throw LabelFlightException.invalid("at most " + MAX_CHANGES + " dev labels per save; got " + changes.size());
    }
    for (Map.Entry<Long, String> change : changes.entrySet()) {
      long row = change.getKey();
      if (row < 0 || row >= rowsTotal) {
        throw LabelFlightException.invalid("row " + row + " is not a row of '" + shown + "' v" + version + " (0.."
            + (rowsTotal - 1) + ")");
      }
      String label = change.getValue();
      if (label != null && (label.isEmpty() || label.length() > MAX_LABEL_LENGTH)) {
        throw LabelFlightException.invalid("dev label of row " + row + " must be a class name of 1.." + MAX_LABEL_LENGTH
            + " characters");
      }
    }
    synchronized (LOCKS.computeIfAbsent(file(dataset, version).toAbsolutePath().normalize(), k -> new Object())) {
      DevSet current = get(dataset, version);
      TreeMap<Long, String> merged = new TreeMap<>();
      for (int i = 0; i < current.size(); i++) {
        merged.put(current.rows()[i], current.labels()[i]);
      }
      changes.forEach((row, label) -> {
        if (label == null) {
          merged.remove(row);
        } else {
          merged.put(row, label);
        }
      });
      if (merged.size() > MAX_ROWS) {
        throw LabelFlightException.invalid("a dev set holds at most " + MAX_ROWS + " labelled rows; this save would make "
            + merged.size()).withDetail(LabelFlightException.Detail.LIMIT, MAX_ROWS);
      }
      long[] rows = merged.keySet().stream().mapToLong(Long::longValue).toArray();
      String[] labels = merged.values().toArray(String[]::new);
      DevSet saved = new DevSet(shown, version, rows, labels, Instant.now().toString(), user);
      write(dataset, version, saved);
      return saved;
    }
  }

  /** Deletes every dev set of a dataset (when the dataset is dropped). */
  public void drop(String dataset) {
    try {
      AtomicFiles.deleteRecursively(root.resolve(DatasetNames.validateStored(dataset)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the dev sets of '" + DatasetNames.display(dataset) + "'", e);
    }
  }

  private void write(String dataset, int version, DevSet set) {
    ObjectNode json = JSON.createObjectNode()
        .put("dataset", set.dataset())
        .put("version", version)
        .put("updated", set.updated())
        .put("user", set.user());
    ArrayNode rows = json.putArray("rows");
    ArrayNode labels = json.putArray("labels");
    for (int i = 0; i < set.size(); i++) {
      rows.add(set.rows()[i]);
      labels.add(set.labels()[i]);
    }
    json.put("crc32c", checksum(rows, labels));
    try {
      Path file = file(dataset, version);
      Files.createDirectories(file.getParent());
      AtomicFiles.write(file, JSON.writeValueAsBytes(json));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save the dev set of '" + set.dataset() + "' v" + version, e);
    }
  }

  private static DevSet parse(String dataset, int version, byte[] bytes) {
    String what = "dev set of '" + DatasetNames.display(dataset) + "' v" + version;
    try {
      JsonNode json = JSON.readTree(bytes);
      JsonNode rows = json.get("rows");
      JsonNode labels = json.get("labels");
      if (rows == null || labels == null || !rows.isArray() || !labels.isArray() || rows.size() != labels.size()) {
        throw new CorruptDataException(what + " is corrupt (rows and labels do not pair up)");
      }
      if (json.path("crc32c").asLong(-1) != checksum(rows, labels)) {
        throw new CorruptDataException(what + " is corrupt (checksum differs)");
      }
      long[] ids = new long[rows.size()];
      String[] names = new String[rows.size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = rows.get(i).asLong();
        names[i] = labels.get(i).asText();
        if (i > 0 && ids[i] <= ids[i - 1]) {
          throw new CorruptDataException(what + " is corrupt (rows out of order)");
        }
      }
      return new DevSet(DatasetNames.display(dataset), version, ids, names,
          json.path("updated").isTextual() ? json.get("updated").asText() : null,
          json.path("user").isTextual() ? json.get("user").asText() : null);
    } catch (IOException e) {
      throw new CorruptDataException(what + " is unreadable: " + e.getMessage());
    }
  }

  private static long checksum(JsonNode rows, JsonNode labels) {
    try {
      return AtomicFiles.crc32c(JSON.writeValueAsBytes(JSON.createArrayNode().add(rows).add(labels)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path file(String dataset, int version) {
    if (version < 1) {
      throw LabelFlightException.invalid("dataset version must be >= 1, got " + version);
    }
    return root.resolve(DatasetNames.validateStored(dataset)).resolve(String.format("v%06d.json", version));
  }
}
