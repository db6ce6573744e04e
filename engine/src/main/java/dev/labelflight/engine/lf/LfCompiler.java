package dev.labelflight.engine.lf;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Detail;
import dev.labelflight.engine.lf.model.ModelRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.Schema;
import dev.labelflight.engine.lf.python.PythonLfs;

/**
 * Turns a job's LF specs into evaluators for one dataset schema, each through its kind's compile hook
 * ({@link LfKind}), checking every field first: an unknown column, a column of the wrong type, an invalid
 * value or label fails with INVALID_ARGUMENT naming the LF and the field. LFs that share work are fused
 * (keyword LFs of one column into one automaton, regex LFs of one column behind one literal prefilter).
 * Node services (the model registry, ...) reach the hooks through {@link LfSetBuilder#service}.
 */
public final class LfCompiler {
  private final LfLimits limits;
  private final Map<Class<?>, Object> services;

  /** A compiler without a models directory: model LFs are refused. */
  public LfCompiler(LfLimits limits) {
    this(limits, (ModelRegistry) null);
  }

  /** {@code models} serves model LFs (null: model LFs are refused). */
  public LfCompiler(LfLimits limits, ModelRegistry models) {
    this(limits, models, null);
  }

  /** {@code python} runs python LFs (null: they compile, and fail when evaluated, naming the reason). */
  public LfCompiler(LfLimits limits, ModelRegistry models, PythonLfs python) {
    this(limits, services(models, python));
  }

  private static Map<Class<?>, Object> services(ModelRegistry models, PythonLfs python) {
    Map<Class<?>, Object> services = new HashMap<>();
    if (models != null) {
      services.put(ModelRegistry.class, models);
    }
    if (python != null) {
      services.put(PythonLfs.class, python);
    }
    return services;
  }

  /** A compiler whose kinds may use {@code services} (by type; see {@link LfSetBuilder#service}). */
  public LfCompiler(LfLimits limits, Map<Class<?>, Object> services) {
    this.limits = limits;
    this.services = Map.copyOf(new HashMap<>(services));
  }

  public LfLimits limits() {
    return limits;
  }

  /** The node service of {@code type} this compiler was given (the Python worker pool, ...), or null. */
  public <T> T service(Class<T> type) {
    return type.cast(services.get(type));
  }

  public CompiledLfSet compile(List<LfSpec> specs, LabelSpace labels, Schema schema) {
    if (specs.isEmpty()) {
      throw LabelFlightException.invalid("'lfs' is empty: give at least one LF").withDetail(Detail.FIELD, "lfs");
    }
    if (specs.size() > limits.maxLfs()) {
      throw LabelFlightException.invalid("a job may carry at most " + limits.maxLfs() + " LFs (limits.maxLfs); got "
          + specs.size()).withDetail(Detail.FIELD, "lfs").withDetail(Detail.LIMIT, limits.maxLfs())
          .withDetail(Detail.REQUESTED, specs.size());
    }
    if (labels.size() > limits.maxClasses()) {
      throw LabelFlightException.invalid("'labels' has " + labels.size() + " classes; at most " + limits.maxClasses()
          + " (limits.maxClasses)").withDetail(Detail.FIELD, "labels").withDetail(Detail.LIMIT, limits.maxClasses())
          .withDetail(Detail.REQUESTED, labels.size());
    }
    Set<String> names = new HashSet<>();
    List<String> order = new ArrayList<>();
    LfSetBuilder set = new LfSetBuilder(limits, labels, schema, services);
    for (int slot = 0; slot < specs.size(); slot++) {
      LfSpec spec = specs.get(slot);
      if (!names.add(spec.name())) {
        throw LabelFlightException.invalid("two LFs are named '" + spec.name() + "'").withDetail(Detail.LF, spec.name())
            .withDetail(Detail.FIELD, "name");
      }
      order.add(spec.name());
      // Every kind takes the flag; expressions and models use it (see LfRowException).
      spec.bool(LfFields.FAULT_TOLERANT);
      for (List<String> group : spec.kind().exactlyOneOf()) {
        long given = group.stream().filter(f -> spec.has(spec.kind().field(f).orElseThrow())).count();
        if (given != 1) {
          throw spec.invalid(group.get(0), "give exactly one of " + String.join(", ", group.stream()
              .map(f -> "'" + f + "'").toList()));
        }
      }
      spec.kind().compiler().compile(spec, slot, set);
    }
    return new CompiledLfSet(order, set.evaluators());
  }
}
