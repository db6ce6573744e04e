package dev.labelflight.engine.labelmodel.artifact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmodel.LabelModels;
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
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Label models as versioned artifacts of their user, on disk like datasets:
 * {@code DATA/labelmodels/USER~NAME/vNNNNNN/model.json} beside {@code model.crc} (its size and CRC32C),
 * each version written whole into a staging directory and renamed into place, so a crash leaves a
 * version complete or absent. A version never changes; a new fit under the same name is version k+1.
 * Names follow the dataset name rule and live in the user's namespace ({@link DatasetNames#qualify}): a
 * user never reads another's models, and a missing model and another user's answer alike (NOT_FOUND).
 * Blocking (disk): call from workers. Thread-safe.
 */
public final class ModelStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DOCUMENT = "model.json";
  private static final String CHECKSUM = "model.crc";
  /** Largest document accepted on import (and read back): 256 MiB. */
  public static final long MAX_DOCUMENT_BYTES = 256L << 20;

  private final Path root;

  public ModelStore(Path dataDir) {
    this.root = dataDir.resolve("labelmodels");
  }

  /** A model listed: name, its versions (ascending), and the newest version's kind, classes and creation time. */
  public record Listed(String name, List<Integer> versions, String kind, List<String> classes, String createdAt) {}

  /**
   * Stores {@code document} as the next version of {@code user}'s model {@code name}; fills in {@code format},
   * {@code name}, {@code version} and {@code createdAt}. The document must hold {@code params} that rebuild a model.
   */
  public synchronized ModelArtifact save(String user, String name, ObjectNode document) {
    Path dir = dirOf(user, name);
    LabelModels.fromJson(document.path("params"));
    try {
      Files.createDirectories(dir);
      int version = versions(dir).stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
      ObjectNode stored = document.deepCopy();
      stored.put("format", ModelArtifact.FORMAT).put("name", name).put("version", version)
          .put("createdAt", Instant.now().toString());
      byte[] bytes = JSON.writeValueAsBytes(stored);
      Path staging = dir.resolve(".staging-" + UUID.randomUUID());
      Files.createDirectories(staging);
      try {
        AtomicFiles.Written written = AtomicFiles.write(staging.resolve(DOCUMENT), bytes);
        AtomicFiles.write(staging.resolve(CHECKSUM),
            (written.bytes() + " " + written.crc32c()).getBytes(StandardCharsets.US_ASCII));
        AtomicFiles.move(staging, dir.resolve(versionDir(version)));
        AtomicFiles.fsyncDirectory(dir);
      } finally {
        AtomicFiles.deleteRecursively(staging);
      }
      return new ModelArtifact(name, version, stored);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store label model '" + name + "'", e);
    }
  }

  /** Version {@code version} of the model, or its newest when null; NOT_FOUND if absent; corrupt files are named. */
  public ModelArtifact load(String user, String name, Integer version) {
    Path dir = dirOf(user, name);
    List<Integer> versions = versions(dir);
    if (versions.isEmpty()) {
      throw notFound(name);
    }
    int v = version == null ? versions.get(versions.size() - 1) : version;
    if (!versions.contains(v)) {
      throw LabelFlightException.notFound("label model '" + name + "' has no version " + v + " (versions: "
          + versions + ")");
    }
    Path vdir = dir.resolve(versionDir(v));
    try {
      byte[] bytes = Files.readAllBytes(vdir.resolve(DOCUMENT));
      String[] check = Files.readString(vdir.resolve(CHECKSUM), StandardCharsets.US_ASCII).trim().split(" ");
      if (check.length != 2 || Long.parseLong(check[0]) != bytes.length
          || Long.parseLong(check[1]) != AtomicFiles.crc32c(bytes)) {
        throw new CorruptDataException("label model '" + name + "' v" + v + " is corrupt: its file does not match its"
            + " checksum; delete that version or fit again");
      }
      JsonNode node = JSON.readTree(bytes);
      if (!(node instanceof ObjectNode doc) || !ModelArtifact.FORMAT.equals(doc.path("format").asText())) {
        throw new CorruptDataException("label model '" + name + "' v" + v + " is not a " + ModelArtifact.FORMAT
            + " document");
      }
      return new ModelArtifact(name, v, doc);
    } catch (NoSuchFileException e) {
      throw new CorruptDataException("label model '" + name + "' v" + v + " is incomplete: " + e.getFile()
          + " is missing");
    } catch (NumberFormatException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new CorruptDataException("label model '" + name + "' v" + v + " is corrupt: " + e.getMessage());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read label model '" + name + "' v" + v, e);
    }
  }

  /** The user's models, by name. */
  public List<Listed> list(String user) {
    List<Listed> out = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return out;
    }
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.sorted().toList()) {
        String stored = dir.getFileName().toString();
        if (!DatasetNames.ownedBy(stored, user)) {
          continue;
        }
        List<Integer> versions = versions(dir);
        if (versions.isEmpty()) {
          continue;
        }
        String name = DatasetNames.display(stored);
        try {
          ModelArtifact newest = load(user, name, null);
          out.add(new Listed(name, versions, newest.kind(), newest.classes(),
              newest.document().path("createdAt").asText()));
        } catch (CorruptDataException e) {
          out.add(new Listed(name, versions, "corrupt", List.of(), ""));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list label models", e);
    }
    return out;
  }

  /** Deletes every version of the model (or one, when {@code version} is given); returns the versions deleted. */
  public synchronized List<Integer> delete(String user, String name, Integer version) {
    Path dir = dirOf(user, name);
    List<Integer> versions = versions(dir);
    if (versions.isEmpty() || (version != null && !versions.contains(version))) {
      throw version == null ? notFound(name)
          : LabelFlightException.notFound("label model '" + name + "' has no version " + version);
    }
    try {
      if (version == null || versions.size() == 1) {
        AtomicFiles.deleteRecursively(dir);
        return versions;
      }
      AtomicFiles.deleteRecursively(dir.resolve(versionDir(version)));
      return List.of(version);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete label model '" + name + "'", e);
    }
  }

  private Path dirOf(String user, String name) {
    return root.resolve(DatasetNames.qualify(user, DatasetNames.validate(name)));
  }

  private static String versionDir(int version) {
    return String.format("v%06d", version);
  }

  private static List<Integer> versions(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).filter(n -> n.matches("v\\d{6}"))
          .map(n -> Integer.parseInt(n.substring(1))).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list versions of " + dir.getFileName(), e);
    }
  }

  private static LabelFlightException notFound(String name) {
    return LabelFlightException.notFound("label model '" + name + "' not found");
  }
}
