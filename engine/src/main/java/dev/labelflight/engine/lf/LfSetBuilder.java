package dev.labelflight.engine.lf;

import dev.labelflight.engine.error.LabelFlightException.Detail;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * What a kind's compile hook ({@link LfKind.Compile}) works with while one job's LFs compile against a
 * dataset schema: the limits, the label space, the schema's columns (checked against a column field's
 * accepted types), the node's services (the model registry, ...), and the evaluators built so far. LFs
 * that share work join a {@link Group} (keyword LFs of one column share one automaton), which becomes one
 * evaluator in the place of its first member.
 */
public final class LfSetBuilder {
  /** LFs fused into one evaluator (all keyword LFs of a column, say). */
  public interface Group {
    LfEvaluator build();
  }

  private final LfLimits limits;
  private final LabelSpace labels;
  private final Schema schema;
  private final Map<Class<?>, Object> services;
  /** Evaluators and groups, in the order their first LF came. */
  private final List<Object> parts = new ArrayList<>();
  private final Map<Object, Group> groups = new LinkedHashMap<>();

  LfSetBuilder(LfLimits limits, LabelSpace labels, Schema schema, Map<Class<?>, Object> services) {
    this.limits = limits;
    this.labels = labels;
    this.schema = schema;
    this.services = services;
  }

  public LfLimits limits() {
    return limits;
  }

  public LabelSpace labels() {
    return labels;
  }

  public Schema schema() {
    return schema;
  }

  /** The node service of {@code type} this compiler was given, or null if none. */
  public <T> T service(Class<T> type) {
    return type.cast(services.get(type));
  }

  /** What the LF's evaluator writes where it votes ({@link LabelSpace#code}). */
  public byte code(LfSpec spec) {
    return labels.code(spec);
  }

  /**
   * The dataset column named by the spec's column field {@code field}, checked against the types the field
   * accepts; INVALID_ARGUMENT naming the LF and the field if it is missing, unknown or of another type.
   */
  public Field column(LfSpec spec, LfField field) {
    String name = spec.string(field);
    Field column = null;
    for (Field f : schema.getFields()) {
      if (f.getName().equals(name)) {
        column = f;
        break;
      }
    }
    if (column == null) {
      throw spec.invalid(field.name(), "unknown column '" + name + "'").withDetail(Detail.FIELD, field.name());
    }
    for (LfField.ColumnType type : field.columnTypes()) {
      if (type.accepts(column)) {
        return column;
      }
    }
    throw spec.invalid(field.name(), "column '" + name + "' has type " + column.getType() + ", not "
        + String.join(" or ", field.columnTypes().stream().map(LfField.ColumnType::words).toList()));
  }

  /** Adds an evaluator of one or more LFs. */
  public void add(LfEvaluator evaluator) {
    parts.add(evaluator);
  }

  /** The group under {@code key}, made by {@code create} for the first LF that joins it. */
  public <G extends Group> G group(Object key, Class<G> type, Supplier<G> create) {
    Group g = groups.get(key);
    if (g == null) {
      g = create.get();
      groups.put(key, g);
      parts.add(g);
    }
    return type.cast(g);
  }

  List<LfEvaluator> evaluators() {
    List<LfEvaluator> out = new ArrayList<>(parts.size());
    for (Object part : parts) {
      out.add(part instanceof Group g ? g.build() : (LfEvaluator) part);
    }
    return out;
  }
}
