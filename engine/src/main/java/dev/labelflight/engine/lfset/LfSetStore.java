package dev.labelflight.engine.lfset;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The LF set a user is working on, one per dataset, shared by the web page and the Python client: the
 * current version is {@code lfsets/NAME.json}, every version also {@code lfset-history/NAME/vNNNNNN.json}
 * (the newest {@link #MAX_HISTORY} are kept), each written atomically. A set is {@code {"labels": [..],
 * "lfs": [{"name", "kind", ...}], "gold"?: column}}; the store adds {@code version} (1, 2, ...),
 * {@code saved} (time), {@code user} and {@code source} (who saved it, from which client) and
 * {@code changes} (LFs added, removed and changed against the version before, {@link LfSetChanges}). A save
 * may name the version it was based on ({@code baseVersion}): if another save came in between it is refused
 * (ALREADY_EXISTS naming the newer version and its author), so neither client overwrites the other's work
 * unseen. LFs are checked for shape only (name, kind, unique names), not compiled, so unfinished work can
 * be kept. Blocking (disk); saves of one set are serialized.
 */
public final class LfSetStore {
  /** Largest LF set accepted, in bytes of JSON. */
  public static final int MAX_BYTES = 1 << 20;
  /** Most LFs one set may hold. */
  public static final int MAX_LFS = 5000;
  /** Versions kept in the history of a set; older ones are deleted as new ones come. */
  public static final int MAX_HISTORY = 1000;
  /** Longest {@code source} name (the client that saved). */
  public static final int MAX_SOURCE_LENGTH = 32;
  private static final Set<String> FIELDS = Set.of("labels", "lfs", "gold");
  /** Fields the store writes; a client that sends back what it read may include them, they are replaced. */
  private static final Set<String> STORED_FIELDS = Set.of("saved", "version", "user", "source", "changes");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Who saves: the user (null without authentication) and the client ({@code page}, {@code python}, ...). */
  public record Author(String user, String source) {
    public Author {
      if (source == null || source.isEmpty() || source.length() > MAX_SOURCE_LENGTH
          || !source.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
        throw LabelFlightException.invalid("'source' must be 1.." + MAX_SOURCE_LENGTH
            + " characters of a-z, 0-9, '-', '_' (the client saving the set)");
      }
    }
  }

  private final Path root;
  private final Path historyRoot;
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  public LfSetStore(Path dataDir) {
    this.root = dataDir.resolve("lfsets");
    this.historyRoot = dataDir.resolve("lfset-history");
    try {
      Files.createDirectories(root);
      Files.createDirectories(historyRoot);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare LF set directory " + root, e);
    }
  }

  /** The current set of a dataset (with {@code version}, {@code saved}, {@code user}, ...), if there is one. */
  public Optional<ObjectNode> get(String dataset) {
    return read(file(dataset), "LF set of dataset '" + DatasetNames.display(dataset) + "'").map(LfSetStore::withVersion);
  }

  /** Version {@code version} of a dataset's set, if it is still in the history. */
  public Optional<ObjectNode> get(String dataset, int version) {
    Optional<ObjectNode> current = get(dataset);
    if (current.isPresent() && current.get().path("version").asInt() == version) {
      return current;
    }
    return read(historyFile(dataset, version), "version " + version + " of the LF set of '" + DatasetNames.display(dataset) + "'");
  }

  /** As {@link #put(String, String, Author, Integer)} by an unnamed API client, without a base version. */
  public ObjectNode put(String dataset, String setJson) {
    return put(dataset, setJson, new Author(null, "api"), null);
  }

  /**
   * Validates and saves a set given as JSON text as the next version; returns what was stored. With
   * {@code baseVersion}, refuses (ALREADY_EXISTS) when the current version is another one ({@code 0}: there
   * must be no set yet).
   */
  public ObjectNode put(String dataset, String setJson, Author author, Integer baseVersion) {
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
    STORED_FIELDS.forEach(set::remove);
    synchronized (locks.computeIfAbsent(dataset, k -> new Object())) {
      Optional<ObjectNode> current = get(dataset);
      int currentVersion = current.map(c -> c.path("version").asInt()).orElse(0);
      if (baseVersion != null && baseVersion != currentVersion) {
        String what = current.map(c -> "version " + currentVersion + " was saved by " + c.path("user").asText("anonymous")
            + " (" + c.path("source").asText("?") + ") at " + c.path("saved").asText("?"))
            .orElse("there is no saved set");
        throw new LabelFlightException(LabelFlightException.Kind.ALREADY_EXISTS, "the LF set of '"
            + DatasetNames.display(dataset) + "' is not at version " + baseVersion + ": " + what
            + "; load it and apply your change again").withDetail("version", currentVersion);
      }
      int version = Math.max(currentVersion, newestHistoryVersion(dataset)) + 1;
      set.put("version", version)
          .put("saved", Instant.now().toString())
          .put("user", author.user())
          .put("source", author.source());
      set.set("changes", LfSetChanges.between(current.orElse(null), set));
      try {
        byte[] bytes = JSON.writeValueAsBytes(set);
        Path history = historyFile(dataset, version);
        Files.createDirectories(history.getParent());
        Files.createDirectories(file.getParent());
        // History first: a crash in between leaves the current file one version behind, never ahead.
        AtomicFiles.write(history, bytes);
        AtomicFiles.write(file, bytes);
        prune(dataset, version);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot save LF set of dataset '" + DatasetNames.display(dataset) + "'", e);
      }
      return set;
    }
  }

  /**
   * The newest {@code limit} versions of a set, newest first: {@code [{"version", "saved", "user", "source",
   * "changes", "lfs": count}]} (without the LFs themselves; {@link #get(String, int)} reads one).
   */
  public ArrayNode history(String dataset, int limit) {
    ArrayNode out = JSON.createArrayNode();
    List<Integer> versions = historyVersions(dataset);
    for (int i = versions.size() - 1; i >= 0 && out.size() < limit; i--) {
      int v = versions.get(i);
      read(historyFile(dataset, v), "version " + v + " of the LF set of '" + DatasetNames.display(dataset) + "'")
          .ifPresent(set -> {
            ObjectNode entry = out.addObject()
                .put("version", set.path("version").asInt(v))
                .put("saved", set.path("saved").asText(null))
                .put("user", set.path("user").asText(null))
                .put("source", set.path("source").asText(null))
                .put("lfs", set.path("lfs").size());
            entry.set("changes", set.path("changes").isObject() ? set.get("changes") : JSON.createObjectNode());
          });
    }
    return out;
  }

  /** Checks the shape of a set; INVALID_ARGUMENT names the first problem. */
  static ObjectNode validate(JsonNode node) {
    if (node == null || !node.isObject()) {
      throw LabelFlightException.invalid("LF set must be a JSON object {labels, lfs, gold?}");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!FIELDS.contains(field) && !STORED_FIELDS.contains(field)) {
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

  private static Optional<ObjectNode> read(Path file, String what) {
    try {
      return Optional.of((ObjectNode) JSON.readTree(Files.readAllBytes(file)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | ClassCastException e) {
      throw new CorruptDataException(what + " is unreadable: " + e.getMessage());
    }
  }

  /** Sets saved before versions existed count as version 1. */
  private static ObjectNode withVersion(ObjectNode set) {
    if (!set.has("version")) {
      set.put("version", 1);
    }
    return set;
  }

  private int newestHistoryVersion(String dataset) {
    List<Integer> versions = historyVersions(dataset);
    return versions.isEmpty() ? 0 : versions.get(versions.size() - 1);
  }

  /** Versions in the history, ascending. */
  private List<Integer> historyVersions(String dataset) {
    Path dir = historyRoot.resolve(DatasetNames.validateStored(dataset));
    List<Integer> versions = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.forEach(f -> {
        String n = f.getFileName().toString();
        if (n.matches("v\\d{6,}\\.json")) {
          versions.add(Integer.parseInt(n.substring(1, n.length() - 5)));
        }
      });
    } catch (NoSuchFileException e) {
      return versions;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the LF set history of '" + DatasetNames.display(dataset) + "'", e);
    }
    versions.sort(null);
    return versions;
  }

  private void prune(String dataset, int newest) throws IOException {
    List<Integer> versions = historyVersions(dataset);
    for (int i = 0; i < versions.size() - MAX_HISTORY; i++) {
      if (versions.get(i) < newest) {
        Files.deleteIfExists(historyFile(dataset, versions.get(i)));
      }
    }
  }

  private Path file(String dataset) {
    return root.resolve(DatasetNames.validateStored(dataset) + ".json");
  }

  private Path historyFile(String dataset, int version) {
    return historyRoot.resolve(DatasetNames.validateStored(dataset)).resolve(String.format("v%06d.json", version));
  }
}
