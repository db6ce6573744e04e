package dev.labelflight.engine.apply;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The body of an {@code apply}: {@code {dataset, version?, labels, lfs, mode?, user?, multiLabel?}}, checked field by field so
 * that every mistake comes back as INVALID_ARGUMENT naming the field.
 */
public record ApplyRequest(String dataset, Integer version, LabelSpace labels, List<LfSpec> lfs, ExecutionMode mode,
    String user) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> FIELDS = Set.of("dataset", "version", "labels", "lfs", "mode", "user",
      "multiLabel");
  /** Who a job belongs to when the request does not say (fair scheduling is per user). */
  public static final String ANONYMOUS = "anonymous";

  public static ApplyRequest parse(String body) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw LabelFlightException.invalid("malformed JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw LabelFlightException.invalid("apply body must be a JSON object");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!FIELDS.contains(field)) {
        throw LabelFlightException.invalid("unknown field '" + field + "' (known: " + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
      }
    }
    JsonNode dataset = root.get("dataset");
    if (dataset == null || !dataset.isTextual() || dataset.asText().isEmpty()) {
      throw LabelFlightException.invalid("'dataset' must be a dataset name");
    }
    Integer version = null;
    JsonNode v = root.get("version");
    if (v != null && !v.isNull()) {
      if (!v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > Integer.MAX_VALUE) {
        throw LabelFlightException.invalid("'version' must be a positive integer");
      }
      version = v.asInt();
    }
    JsonNode multi = root.get("multiLabel");
    if (multi != null && !multi.isNull() && !multi.isBoolean()) {
      throw LabelFlightException.invalid("'multiLabel' must be true or false");
    }
    LabelSpace labels = LabelSpace.fromJson(root.get("labels"), multi != null && multi.asBoolean(false));
    JsonNode lfs = root.get("lfs");
    if (lfs == null || !lfs.isArray()) {
      throw LabelFlightException.invalid("'lfs' must be a list of LF specs");
    }
    List<LfSpec> specs = new ArrayList<>(lfs.size());
    for (int i = 0; i < lfs.size(); i++) {
      specs.add(LfSpec.parse(lfs.get(i), i));
    }
    ExecutionMode mode = ExecutionMode.AUTO;
    JsonNode m = root.get("mode");
    if (m != null && !m.isNull()) {
      if (!m.isTextual()) {
        throw LabelFlightException.invalid("'mode' must be one of " + ExecutionMode.WIRE_NAMES);
      }
      mode = ExecutionMode.parse(m.asText());
    }
    String user = ANONYMOUS;
    JsonNode u = root.get("user");
    if (u != null && !u.isNull()) {
      if (!u.isTextual() || u.asText().isBlank() || u.asText().length() > 128) {
        throw LabelFlightException.invalid("'user' must be a non-empty string of at most 128 characters");
      }
      user = u.asText();
    }
    return new ApplyRequest(dataset.asText(), version, labels, specs, mode, user);
  }
}
