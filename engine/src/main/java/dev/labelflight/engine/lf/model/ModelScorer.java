package dev.labelflight.engine.lf.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Detail;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfEvaluator;
import dev.labelflight.engine.lf.LfField;
import dev.labelflight.engine.lf.LfFields;
import dev.labelflight.engine.lf.LfKind;
import dev.labelflight.engine.lf.LfRowException;
import dev.labelflight.engine.lf.LfSetBuilder;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.lf.TextColumn;
import dev.labelflight.engine.lf.VectorColumn;
import dev.labelflight.engine.lf.unicode.Utf8;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * A {@code model} LF: an ONNX model scores a vector column (float input {@code [N, d]}) or a text column
 * (string input {@code [N, 1]}) in batches of its non-null rows; the LF votes where the chosen class's score
 * (a float output {@code [N, classes]}, by default the first one) is above the threshold. Null rows abstain.
 *
 * <p>Text reaches the model as it is, except what ONNX Runtime's Java binding cannot carry: it passes
 * strings as modified UTF-8, in which characters beyond the Basic Multilingual Plane (emoji, some CJK) and
 * NUL are not valid UTF-8, so they go as U+FFFD (a non-word character, as they would be to a tokenizer
 * that does not know them). A batch the model fails on is split until the failing rows are found: each
 * fails a strict LF naming the row (INVALID_ARGUMENT, never ONNX Runtime's message, which may quote the
 * row), or is a fault of a fault-tolerant one. Batches grow or shrink to take about {@link #TARGET_NANOS}
 * each, so that the thread's cancel token, checked between them, is seen within about that time.
 */
public final class ModelScorer implements LfEvaluator {
  static final int MAX_BATCH_ROWS = 4096;
  private static final int FIRST_BATCH_ROWS = 64;
  private static final long TARGET_NANOS = 50_000_000L;

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
  private final boolean faultTolerant;

  private ModelScorer(String name, String column, int slot, byte label, ModelRegistry registry, OrtSession session,
      String input, String output, boolean text, int classIndex, double threshold, boolean faultTolerant) {
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
    this.faultTolerant = faultTolerant;
  }

  /** The compile hook of {@link LfKind#MODEL}: the node's {@link ModelRegistry} serves the model. */
  public static void compile(LfSpec spec, int slot, LfSetBuilder set) {
    set.add(compile(spec, slot, set.code(spec), set.column(spec, LfFields.MODEL_COLUMN),
        set.service(ModelRegistry.class)));
  }

  /** Checks the spec against the model's signature and the column; INVALID_ARGUMENT naming the LF. */
  public static ModelScorer compile(LfSpec spec, int slot, byte label, Field field, ModelRegistry registry) {
    if (registry == null) {
      throw spec.invalid("model", "model LFs are not enabled on this node (no models directory)");
    }
    String model = spec.string(LfFields.MODEL);
    double threshold = spec.number(LfFields.MODEL_THRESHOLD);
    long classNumber = spec.integer(LfFields.CLASS);
    if (classNumber < 0 || classNumber > Integer.MAX_VALUE) {
      throw spec.invalid("class", "'class' must be a non-negative integer (an index into the model's scores)");
    }
    int classIndex = (int) classNumber;
    boolean text = LfField.ColumnType.TEXT.accepts(field);
    OrtSession session;
    try {
      session = registry.session(model);
    } catch (LabelFlightException e) {
      throw spec.invalid("model", e.getMessage());
    }
    try {
      Map<String, NodeInfo> inputs = session.getInputInfo();
      if (inputs.size() != 1) {
        throw spec.invalid("model", "model '" + model + "' has " + inputs.size() + " inputs; model LFs need exactly one");
      }
      NodeInfo in = inputs.values().iterator().next();
      if (!(in.getInfo() instanceof TensorInfo t)) {
        throw spec.invalid("model", "model '" + model + "' input is not a tensor");
      }
      long[] shape = t.getShape();
      if (text) {
        if (t.type != OnnxJavaType.STRING) {
          throw spec.invalid("column", "model '" + model + "' takes " + t.type + " input; text column '"
              + field.getName() + "' needs a string input");
        }
      } else {
        int dimension = ((ArrowType.FixedSizeList) field.getType()).getListSize();
        if (t.type != OnnxJavaType.FLOAT) {
          throw spec.invalid("column", "model '" + model + "' takes " + t.type + " input; vector column '"
              + field.getName() + "' needs a float input");
        }
        if (shape.length != 2 || shape[1] != dimension) {
          throw spec.invalid("column", "model '" + model + "' takes vectors of shape " + java.util.Arrays.toString(shape)
              + "; column '" + field.getName() + "' holds vectors of length " + dimension);
        }
      }
      String wanted = spec.string(LfFields.OUTPUT);
      Optional<NodeInfo> out = session.getOutputInfo().values().stream()
          .filter(o -> wanted == null || o.getName().equals(wanted))
          .filter(o -> o.getInfo() instanceof TensorInfo ti && ti.type == OnnxJavaType.FLOAT && ti.getShape().length == 2)
          .findFirst();
      if (out.isEmpty()) {
        throw spec.invalid(wanted == null ? "model" : "output", "model '" + model + "' has no float [N, classes] output"
            + (wanted == null ? "" : " named '" + wanted + "'") + "; outputs: " + session.getOutputNames());
      }
      long classes = ((TensorInfo) out.get().getInfo()).getShape()[1];
      if (classes > 0 && classIndex >= classes) {
        throw spec.invalid("class", "'class' " + classIndex + " is out of range: model '" + model + "' scores "
            + classes + " classes");
      }
      return new ModelScorer(spec.name(), field.getName(), slot, label, registry, session, in.getName(),
          out.get().getName(), text, classIndex, threshold, spec.bool(LfFields.FAULT_TOLERANT));
    } catch (OrtException e) {
      throw spec.invalid("model", "model '" + model + "' cannot be inspected: " + e.getMessage());
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
    // The non-null rows, which alone go to the model.
    int[] present = new int[rows];
    int count = 0;
    for (int row = 0; row < rows; row++) {
      if (!(text ? texts.isNull(row) : vectors.isNull(row))) {
        present[count++] = row;
      }
    }
    int batch = FIRST_BATCH_ROWS;
    for (int from = 0; from < count; ) {
      CancelToken.check();
      int n = Math.min(batch, count - from);
      long started = System.nanoTime();
      score(texts, vectors, present, from, n, labels);
      long took = System.nanoTime() - started;
      from += n;
      if (took < TARGET_NANOS / 2 && n == batch) {
        batch = Math.min(MAX_BATCH_ROWS, batch * 2);
      } else if (took > 2 * TARGET_NANOS) {
        batch = Math.max(1, batch / 2);
      }
    }
  }

  /** Scores rows {@code present[from, from + n)}; a batch that fails is split until the failing rows are found. */
  private void score(TextColumn texts, VectorColumn vectors, int[] present, int from, int n, byte[] labels) {
    float[] scores;
    try {
      scores = run(texts, vectors, present, from, n);
    } catch (OrtException e) {
      if (n == 1) {
        int row = present[from];
        if (!faultTolerant) {
          throw new LfRowException(name, LfKind.MODEL, row, "the model failed on the row (ONNX Runtime "
              + e.getCode() + ")");
        }
        labels[row] = LabelSpace.FAULT;
        return;
      }
      CancelToken.check();
      int half = n / 2;
      score(texts, vectors, present, from, half, labels);
      score(texts, vectors, present, from + half, n - half, labels);
      return;
    }
    int width = scores.length / n;
    if (classIndex >= width) {
      throw LabelFlightException.invalid("LF '" + name + "' (model): 'class' " + classIndex
          + " is out of range: the model scored " + width + " classes").withDetail(Detail.LF, name)
          .withDetail(Detail.LF_KIND, LfKind.MODEL.id()).withDetail(Detail.FIELD, "class");
    }
    for (int i = 0; i < n; i++) {
      if (scores[i * width + classIndex] > threshold) {
        labels[present[from + i]] = label;
      }
    }
  }

  private float[] run(TextColumn texts, VectorColumn vectors, int[] present, int from, int n) throws OrtException {
    try (OnnxTensor tensor = text ? textTensor(texts, present, from, n) : vectorTensor(vectors, present, from, n);
         OrtSession.Result result = session.run(Map.of(input, tensor), java.util.Set.of(output))) {
      FloatBuffer buffer = ((OnnxTensor) result.get(0)).getFloatBuffer();
      float[] scores = new float[buffer.remaining()];
      buffer.get(scores);
      return scores;
    }
  }

  private OnnxTensor textTensor(TextColumn texts, int[] present, int from, int n) throws OrtException {
    String[] values = new String[n];
    StringBuilder value = new StringBuilder();
    for (int i = 0; i < n; i++) {
      int row = present[from + i];
      values[i] = modelText(texts.data, texts.offsets[row], texts.offsets[row + 1], value);
    }
    return OnnxTensor.createTensor(registry.environment(), values, new long[] {n, 1});
  }

  /**
   * UTF-8 {@code data[from, to)} as a string ONNX Runtime's Java binding passes on as valid UTF-8: characters
   * beyond the Basic Multilingual Plane and NUL become U+FFFD, malformed bytes too (as in any decoding).
   */
  static String modelText(byte[] data, int from, int to, StringBuilder scratch) {
    scratch.setLength(0);
    for (int i = from; i < to; ) {
      int step = Utf8.advance(data, i, to);
      int cp = step == 1 && data[i] < 0 ? Utf8.REPLACEMENT : Utf8.decode(data, i, to);
      scratch.appendCodePoint(cp == 0 || cp > 0xFFFF ? Utf8.REPLACEMENT : cp);
      i += step;
    }
    return scratch.toString();
  }

  private OnnxTensor vectorTensor(VectorColumn vectors, int[] present, int from, int n) throws OrtException {
    int d = vectors.dimension;
    boolean contiguous = present[from + n - 1] - present[from] == n - 1;
    if (contiguous) {
      FloatBuffer buffer = FloatBuffer.wrap(vectors.data, present[from] * d, n * d).slice();
      return OnnxTensor.createTensor(registry.environment(), buffer, new long[] {n, d});
    }
    float[] gathered = new float[n * d];
    for (int i = 0; i < n; i++) {
      System.arraycopy(vectors.data, present[from + i] * d, gathered, i * d, d);
    }
    return OnnxTensor.createTensor(registry.environment(), FloatBuffer.wrap(gathered), new long[] {n, d});
  }
}
