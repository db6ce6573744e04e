package dev.labelflight.engine.derive;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.labelflight.engine.store.Manifest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * One derived column of a dataset version as recorded in its derived manifest: its definition (kind,
 * source column, pattern), the {@link #id} of that definition, the directory of its chunk files and
 * each file's size and CRC32C. The same definition over the same (immutable) version always gives the
 * same values, so the id is a hash of the definition: the label cache keys LFs that read the column
 * by it, and a column redefined under the same name never reuses labels computed over the old one.
 */
public record DerivedColumn(String name, String kind, String source, String pattern, String id, String dir,
    List<Chunk> chunks) {

  /** One chunk file of the column, aligned with the dataset chunk of the same index. */
  public record Chunk(int index, String file, int rows, long bytes, long crc32c) {}

  /** Field metadata keys that mark a derived column in a dataset's schema. */
  public static final String META_KIND = "labelflight.derived.kind";
  public static final String META_SOURCE = "labelflight.derived.source";
  public static final String META_PATTERN = "labelflight.derived.pattern";

  /** The id of a definition: SHA-256 (hex, 16 digits) of kind, source and pattern. */
  public static String idOf(String kind, String source, String pattern) {
    String text = "derived/v1\n" + kind + "\n" + source + "\n" + (pattern == null ? "" : "pattern:" + pattern);
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** The column's type: text for lowercase and regex_extract, int32 for length and token_count. */
  @JsonIgnore
  public ArrowType type() {
    return kind.equals("lowercase") || kind.equals("regex_extract") ? new ArrowType.Utf8() : new ArrowType.Int(32, true);
  }

  /** The column as a nullable schema field, with its definition in the field metadata. */
  @JsonIgnore
  public Field field() {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put(META_KIND, kind);
    meta.put(META_SOURCE, source);
    if (pattern != null) {
      meta.put(META_PATTERN, pattern);
    }
    return new Field(name, new FieldType(true, type(), null, meta), null);
  }

  /** Bytes of its file for a dataset chunk. */
  public long bytes(int chunk) {
    return chunks.get(chunk).bytes();
  }

  /** True if it was computed over exactly this version's chunks. */
  boolean fits(Manifest manifest) {
    if (chunks.size() != manifest.chunks().size()) {
      return false;
    }
    for (int i = 0; i < chunks.size(); i++) {
      if (chunks.get(i).rows() != manifest.chunk(i).rows()) {
        return false;
      }
    }
    return true;
  }
}
