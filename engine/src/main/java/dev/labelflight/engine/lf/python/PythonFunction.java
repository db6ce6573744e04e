package dev.labelflight.engine.lf.python;

import com.fasterxml.jackson.databind.JsonNode;
import dev.labelflight.engine.lf.LfSpec;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One {@code python} LF as the client sends it: {@code {"name", "kind": "python", "pickle": base64 cloudpickle,
 * "fingerprint": hex SHA-256 of its code, closure, preprocessors and package versions (computed by the client,
 * checked by the worker; the label cache keys the LF by it, not by the pickle), "python": "3.11", "imports":
 * {package: version}, "mode": "row" | "batch", "faultTolerant"?, "memoryMiB"?}}. It returns class indexes
 * itself (-1 abstains), like an expression without {@code label}.
 */
public record PythonFunction(int slot, String name, byte[] pickle, String fingerprint, String python,
    Map<String, String> imports, boolean batch, boolean faultTolerant, int memoryMiB) {

  /** The largest pickle a job may carry per LF (it travels inside the apply request). */
  public static final int MAX_PICKLE_BYTES = 8 << 20;
  private static final Pattern FINGERPRINT = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern VERSION = Pattern.compile("[0-9]+\\.[0-9]+");

  /** Reads and checks the Python fields of {@code spec}; INVALID_ARGUMENT naming the LF and field. */
  public static PythonFunction parse(LfSpec spec, int slot) {
    if (spec.json().has("label")) {
      throw spec.invalid("a Python LF returns class indexes itself; drop 'label'");
    }
    byte[] pickle;
    try {
      pickle = Base64.getDecoder().decode(spec.requiredString("pickle"));
    } catch (IllegalArgumentException e) {
      throw spec.invalid("'pickle' is not base64");
    }
    if (pickle.length == 0 || pickle.length > MAX_PICKLE_BYTES) {
      throw spec.invalid("'pickle' must hold 1 to " + MAX_PICKLE_BYTES + " bytes; got " + pickle.length);
    }
    String fingerprint = spec.requiredString("fingerprint");
    if (!FINGERPRINT.matcher(fingerprint).matches()) {
      throw spec.invalid("'fingerprint' must be 64 lower-case hex digits");
    }
    String python = spec.requiredString("python");
    if (!VERSION.matcher(python).matches()) {
      throw spec.invalid("'python' must be a Python version such as 3.11");
    }
    Map<String, String> imports = new TreeMap<>();
    JsonNode node = spec.json().get("imports");
    if (node != null && !node.isNull()) {
      if (!node.isObject()) {
        throw spec.invalid("'imports' must map package names to versions");
      }
      node.fields().forEachRemaining(e -> {
        if (!e.getValue().isTextual()) {
          throw spec.invalid("'imports' must map package names to versions");
        }
        imports.put(e.getKey(), e.getValue().asText());
      });
    }
    String mode = spec.optionalString("mode", "row");
    if (!mode.equals("row") && !mode.equals("batch")) {
      throw spec.invalid("'mode' must be 'row' or 'batch'");
    }
    JsonNode memory = spec.json().get("memoryMiB");
    int memoryMiB = 0;
    if (memory != null && !memory.isNull()) {
      if (!memory.canConvertToInt() || memory.asInt() < 1) {
        throw spec.invalid("'memoryMiB' must be a positive integer");
      }
      memoryMiB = memory.asInt();
    }
    return new PythonFunction(slot, spec.name(), pickle, fingerprint, python, Map.copyOf(imports),
        mode.equals("batch"), spec.optionalBoolean("faultTolerant", false), memoryMiB);
  }
}
