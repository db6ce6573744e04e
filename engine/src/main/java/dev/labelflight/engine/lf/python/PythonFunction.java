package dev.labelflight.engine.lf.python;

import com.fasterxml.jackson.databind.JsonNode;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfEvaluator;
import dev.labelflight.engine.lf.LfFields;
import dev.labelflight.engine.lf.LfSetBuilder;
import dev.labelflight.engine.lf.LfSpec;
import java.util.ArrayList;
import java.util.List;
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

  /** The {@link LfKind} hook: all of a job's Python LFs join one evaluator (one round trip per chunk). */
  public static void compile(LfSpec spec, int slot, LfSetBuilder set) {
    PythonFunction function = parse(spec, slot);
    set.group(Group.class, Group.class, () -> new Group(set.service(PythonLfs.class), set.labels())).functions
        .add(function);
  }

  /** A job's Python LFs: evaluated by the node's worker pool, or failing clearly where there is none. */
  private static final class Group implements LfSetBuilder.Group {
    private final PythonLfs pool;
    private final LabelSpace labels;
    private final List<PythonFunction> functions = new ArrayList<>();

    Group(PythonLfs pool, LabelSpace labels) {
      this.pool = pool;
      this.labels = labels;
    }

    @Override
    public LfEvaluator build() {
      return pool != null ? pool.compile(functions, labels) : PythonLfs.unavailable(functions);
    }
  }

  /** Reads and checks the Python fields of {@code spec}; INVALID_ARGUMENT naming the LF and field. */
  public static PythonFunction parse(LfSpec spec, int slot) {
    byte[] pickle;
    try {
      pickle = Base64.getDecoder().decode(spec.string(LfFields.PICKLE));
    } catch (IllegalArgumentException e) {
      throw spec.invalid("pickle", "'pickle' is not base64");
    }
    if (pickle.length == 0 || pickle.length > MAX_PICKLE_BYTES) {
      throw spec.overLimit("pickle", "'pickle' must hold 1 to " + MAX_PICKLE_BYTES + " bytes; got " + pickle.length,
          MAX_PICKLE_BYTES, pickle.length, "bytes");
    }
    String fingerprint = spec.string(LfFields.FINGERPRINT);
    if (!FINGERPRINT.matcher(fingerprint).matches()) {
      throw spec.invalid("fingerprint", "'fingerprint' must be 64 lower-case hex digits");
    }
    String python = spec.string(LfFields.PYTHON_VERSION);
    if (!VERSION.matcher(python).matches()) {
      throw spec.invalid("python", "'python' must be a Python version such as 3.11");
    }
    Map<String, String> imports = new TreeMap<>();
    JsonNode node = spec.raw(LfFields.IMPORTS);
    if (node != null) {
      if (!node.isObject()) {
        throw spec.invalid("imports", "'imports' must map package names to versions");
      }
      node.fields().forEachRemaining(e -> {
        if (!e.getValue().isTextual()) {
          throw spec.invalid("imports", "'imports' must map package names to versions");
        }
        imports.put(e.getKey(), e.getValue().asText());
      });
    }
    String mode = spec.string(LfFields.PYTHON_MODE);
    int memoryMiB = 0;
    if (spec.has(LfFields.MEMORY_MIB)) {
      long m = spec.integer(LfFields.MEMORY_MIB);
      if (m < 1 || m > Integer.MAX_VALUE) {
        throw spec.invalid("memoryMiB", "'memoryMiB' must be a positive integer");
      }
      memoryMiB = (int) m;
    }
    return new PythonFunction(slot, spec.name(), pickle, fingerprint, python, Map.copyOf(imports),
        mode.equals("batch"), spec.bool(LfFields.FAULT_TOLERANT), memoryMiB);
  }
}
