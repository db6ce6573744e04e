package dev.labelflight.engine.lf.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.LfEvaluator;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.lf.TextColumn;
import dev.labelflight.engine.lf.VectorColumn;
import dev.labelflight.engine.store.ColumnTypes;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * A {@code model} LF: an ONNX model scores a vector column (float input {@code [N, d]}) or a text column
 * (string input {@code [N, 1]}) in batches; the LF votes where the chosen class's score (a float output
 * {@code [N, classes]}, by default the first one) is above the threshold. Null rows abstain.
 */
public final class ModelScorer implements LfEvaluator {
  static final int BATCH_ROWS = 4096;

  private final String name;
  private final String column;
  private final int slot;
  private final byte label;
  private final ModelRegistry registry;
  private final OrtSession session;
  private final String input;
  private final String output;
  private final boolean text;
  private final int classIndex;
  private final double threshold;

  private ModelScorer(String name, String column, int slot, byte label, ModelRegistry registry, OrtSession session,
      String input, String output, boolean text, int classIndex, double threshold) {
    this.name = name;
    this.column = column;
    this.slot = slot;
    this.label = label;
    this.registry = registry;
    this.session = session;
    this.input = input;
    this.output = output;
    this.text = text;
    this.classIndex = classIndex;
    this.threshold = threshold;
  }

  /** Checks the spec against the model's signature and the column; INVALID_ARGUMENT naming the LF. */
  public static ModelScorer compile(LfSpec spec, int slot, byte label, Field field, ModelRegistry registry) {
    if (registry == null) {
      throw spec.invalid("model LFs are not enabled on this node (no models directory)");
    }
    String model = spec.requiredString("model");
    double threshold = spec.requiredNumber("threshold");
    double classNumber = spec.requiredNumber("class");
    if (classNumber != Math.rint(classNumber) || classNumber < 0) {
      throw spec.invalid("'class' must be a non-negative integer (an index into the model's scores)");
    }
    int classIndex = (int) classNumber;
    boolean text = ColumnTypes.isText(field.getType());
    if (!text && !ColumnTypes.isFloatVector(field)) {
      throw spec.invalid("column '" + field.getName() + "' has type " + field.getType()
          + ", not text or fixed_size_list<float32>");
    }
    OrtSession session;
    try {
      session = registry.session(model);
    } catch (LabelFlightException e) {
      throw spec.invalid(e.getMessage());
    }
    try {
      Map<String, NodeInfo> inputs = session.getInputInfo();
      if (inputs.size() != 1) {
        throw spec.invalid("model '" + model + "' has " + inputs.size() + " inputs; model LFs need exactly one");
      }
      NodeInfo in = inputs.values().iterator().next();
      if (!(in.getInfo() instanceof TensorInfo t)) {
        throw spec.invalid("model '" + model + "' input is not a tensor");
      }
      long[] shape = t.getShape();
      if (text) {
        if (t.type != OnnxJavaType.STRING) {
          throw spec.invalid("model '" + model + "' takes " + t.type + " input; text column '" + field.getName()
              + "' needs a string input");
        }
      } else {
        int dimension = ((ArrowType.FixedSizeList) field.getType()).getListSize();
        if (t.type != OnnxJavaType.FLOAT) {
          throw spec.invalid("model '" + model + "' takes " + t.type + " input; vector column '" + field.getName()
              + "' needs a float input");
        }
        if (shape.length != 2 || shape[1] != dimension) {
          throw spec.invalid("model '" + model + "' takes vectors of shape " + java.util.Arrays.toString(shape)
              + "; column '" + field.getName() + "' holds vectors of length " + dimension);
        }
      }
      String wanted = spec.optionalString("output", null);
      Optional<NodeInfo> out = session.getOutputInfo().values().stream()
          .filter(o -> wanted == null || o.getName().equals(wanted))
          .filter(o -> o.getInfo() instanceof TensorInfo ti && ti.type == OnnxJavaType.FLOAT && ti.getShape().length == 2)
          .findFirst();
      if (out.isEmpty()) {
        throw spec.invalid("model '" + model + "' has no float [N, classes] output"
            + (wanted == null ? "" : " named '" + wanted + "'") + "; outputs: " + session.getOutputNames());
      }
      long classes = ((TensorInfo) out.get().getInfo()).getShape()[1];
      if (classes > 0 && classIndex >= classes) {
        throw spec.invalid("'class' " + classIndex + " is out of range: model '" + model + "' scores " + classes + " classes");
      }
      return new ModelScorer(spec.name(), field.getName(), slot, label, registry, session, in.getName(),
          out.get().getName(), text, classIndex, threshold);
    } catch (OrtException e) {
      throw spec.invalid("model '" + model + "' cannot be inspected: " + e.getMessage());
    }
  }

  @Override
  public int[] slots() {
    return new int[] {slot};
  }

  @Override
  public void evaluate(VectorSchemaRoot chunk, byte[][] out) {
    int rows = chunk.getRowCount();
    byte[] labels = out[slot];
    TextColumn texts = text ? TextColumn.of(chunk.getVector(column)) : null;
    VectorColumn vectors = text ? null : VectorColumn.of(chunk.getVector(column));
    for (int from = 0; from < rows; from += BATCH_ROWS) {
      int n = Math.min(BATCH_ROWS, rows - from);
      try (OnnxTensor tensor = text ? textTensor(texts, from, n) : vectorTensor(vectors, from, n);
           OrtSession.Result result = session.run(Map.of(input, tensor), java.util.Set.of(output))) {
        OnnxValue value = result.get(0);
        FloatBuffer scores = ((OnnxTensor) value).getFloatBuffer();
        int width = scores.remaining() / n;
        if (classIndex >= width) {
          throw LabelFlightException.invalid("LF '" + name + "' (model): 'class' " + classIndex
              + " is out of range: the model scored " + width + " classes");
        }
        for (int i = 0; i < n; i++) {
          int row = from + i;
          boolean isNull = text ? texts.isNull(row) : vectors.isNull(row);
          if (!isNull && scores.get(i * width + classIndex) > threshold) {
            labels[row] = label;
          }
        }
      } catch (OrtException e) {
        throw LabelFlightException.internal("LF '" + name + "' (model): ONNX Runtime failed: " + e.getMessage(), e);
      }
    }
  }

  private OnnxTensor textTensor(TextColumn texts, int from, int n) throws OrtException {
    String[] values = new String[n];
    for (int i = 0; i < n; i++) {
      int row = from + i;
      int start = texts.offsets[row];
      values[i] = texts.isNull(row) ? "" : new String(texts.data, start, texts.offsets[row + 1] - start, StandardCharsets.UTF_8);
    }
    return OnnxTensor.createTensor(registry.environment(), values, new long[] {n, 1});
  }

  private OnnxTensor vectorTensor(VectorColumn vectors, int from, int n) throws OrtException {
    int d = vectors.dimension;
    FloatBuffer buffer = FloatBuffer.wrap(vectors.data, from * d, n * d).slice();
    return OnnxTensor.createTensor(registry.environment(), buffer, new long[] {n, d});
  }
}
