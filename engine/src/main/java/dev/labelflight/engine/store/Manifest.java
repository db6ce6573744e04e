package dev.labelflight.engine.store;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.error.LabelFlightException;
import java.io.IOException;
import java.util.List;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The description of one immutable dataset version: schema, row count and its chunk files with sizes and
 * checksums. Stored as {@code manifest.json} next to the chunks.
 */
public record Manifest(
    String name,
    int version,
    long rows,
    long bytes,
    String createdAt,
    JsonNode schema,
    List<Chunk> chunks) {

  /** One chunk file: rows {@code [firstRow, firstRow + rows)} of the dataset. */
  public record Chunk(int index, String file, long firstRow, int rows, long bytes, long crc32c) {}

  static final ObjectMapper JSON = new ObjectMapper();

  @JsonIgnore
  public Schema arrowSchema() {
    try {
      return Schema.fromJSON(JSON.writeValueAsString(schema));
    } catch (IOException e) {
      throw LabelFlightException.internal("manifest of " + DatasetNames.display(name) + " v" + version + " has an unreadable schema", e);
    }
  }

  /**
   * Identifies this upload among versions of the same name and number (a dataset dropped and uploaded again
   * reuses version numbers): a CRC32C of its creation time and chunk checksums, 8 hex digits. Copies and
   * caches keyed by it never mistake one upload for another.
   */
  @JsonIgnore
  public String uploadId() {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(createdAt.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    for (Chunk c : chunks) {
      crc.update(Long.toString(c.crc32c()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
    return String.format("%08x", crc.getValue());
  }

  public Chunk chunk(int index) {
    if (index < 0 || index >= chunks.size()) {
      throw LabelFlightException.notFound("dataset " + DatasetNames.display(name) + " v" + version + " has no chunk " + index);
    }
    return chunks.get(index);
  }

  static JsonNode schemaJson(Schema schema) {
    try {
      return JSON.readTree(schema.toJson());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public byte[] toBytes() {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Manifest fromBytes(byte[] bytes) throws IOException {
    return JSON.readValue(bytes, Manifest.class);
  }
}
