package dev.labelflight.engine.lfset;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.DatasetNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;

/**
 * The LF set a user is working on, one per dataset, kept as {@code lfsets/NAME.json} in the data
 * directory and written atomically. A set is {@code {"labels": [..], "lfs": [{"name", "kind", ...}],
 * "gold"?: column}}; LFs are checked for shape only (name, kind, unique names), not compiled, so
 * unfinished work can be kept. Blocking (disk).
 */
public final class LfSetStore {
  /** Largest LF set accepted, in bytes of JSON. */
  public static final int MAX_BYTES = 1 << 20;
  /** Most LFs one set may hold. */
  public static final int MAX_LFS = 5000;
  private static final Set<String> FIELDS = Set.of("labels", "lfs", "gold");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path root;

  public LfSetStore(Path dataDir) {
    this.root = dataDir.resolve("lfsets");
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare LF set directory " + root, e);
    }
  }

  /** The saved set of a dataset, with a {@code "saved"} timestamp, if there is one. */
  public Optional<ObjectNode> get(String dataset) {
    Path file = file(dataset);
    try {
      byte[] bytes = Files.readAllBytes(file);
      return Optional.of((ObjectNode) JSON.readTree(bytes));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | ClassCastException e) {
      throw new CorruptDataException("LF set of dataset '" + dataset + "' is unreadable: " + e.getMessage());
    }
  }

  /** Validates and saves a set given as JSON text; returns what was stored (with {@code "saved"}). */
  public ObjectNode put(String dataset, String setJson) {
    Path file = file(dataset);
    if (setJson == null) {
      throw LabelFlightException.invalid("missing 'set'");
    }
    if (setJson.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw LabelFlightException.invalid("LF set is larger than " + MAX_BYTES + " bytes");
    }
    JsonNode node;
    try {
      node = JSON.readTree(setJson);
    } catch (JsonProcessingException e) {
      throw LabelFlightException.invalid("LF set is malformed JSON: " + e.getOriginalMessage());
    }
    ObjectNode set = validate(node);
    set.put("saved", Instant.now().toString());
    try {
      AtomicFiles.write(file, JSON.writeValueAsBytes(set));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save LF set of dataset '" + dataset + "'", e);
    }
    return set;
  }

  /** Checks the shape of a set; INVALID_ARGUMENT names the first problem. */
  static ObjectNode validate(JsonNode node) {
    if (node == null || !node.isObject()) {
      throw LabelFlightException.invalid("LF set must be a JSON object {labels, lfs, gold?}");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!FIELDS.contains(field) && !field.equals("saved")) {
        throw LabelFlightException.invalid("LF set has unknown field '" + field + "' (known: gold, labels, lfs)");
      }
    }
    LabelSpace.fromJson(node.get("labels"));
    JsonNode lfs = node.get("lfs");
    if (lfs == null || !lfs.isArray()) {
      throw LabelFlightException.invalid("LF set: 'lfs' must be a list of LF specs");
    }
    if (lfs.size() > MAX_LFS) {
      throw LabelFlightException.invalid("LF set has more than " + MAX_LFS + " LFs");
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < lfs.size(); i++) {
      LfSpec spec = LfSpec.parse(lfs.get(i), i);
      if (!names.add(spec.name())) {
        throw LabelFlightException.invalid("LF set has two LFs named '" + spec.name() + "'");
      }
    }
    JsonNode gold = node.get("gold");
    if (gold != null && !gold.isNull() && !gold.isTextual()) {
      throw LabelFlightException.invalid("LF set: 'gold' must be a column name or null");
    }
    return ((ObjectNode) node).deepCopy();
  }

  private Path file(String dataset) {
    return root.resolve(DatasetNames.validateStored(dataset) + ".json");
  }
}
