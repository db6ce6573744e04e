package dev.labelflight.engine.lf;

import dev.labelflight.engine.cancel.CancelToken;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A similarity LF: the cosine similarity between a row's vector and the query vector is above a
 * threshold. Sums run in double in element order. Null rows and zero vectors abstain.
 */
final class CosineSimilarity implements LfEvaluator {
  /** Rows between cancellation checks: a few thousand dot products, well under a millisecond for small vectors. */
  private static final int CHECK_ROWS = 1024;
  private final String column;
  private final int slot;
  private final byte label;
  private final float[] query;
  private final double queryNorm;
  private final double threshold;

  CosineSimilarity(String column, int slot, byte label, float[] query, double threshold) {
    this.column = column;
    this.slot = slot;
    this.label = label;
    this.query = query.clone();
    double sq = 0;
    for (float q : query) {
      sq += (double) q * q;
    }
    this.queryNorm = Math.sqrt(sq);
    this.threshold = threshold;
  }

  /** The compile hook of {@link LfKind#SIMILARITY}: exactly one of query and examples (checked by the compiler). */
  static void compile(LfSpec spec, int slot, LfSetBuilder set) {
    org.apache.arrow.vector.types.pojo.Field field = set.column(spec, LfFields.VECTOR_COLUMN);
    int dimension = ((org.apache.arrow.vector.types.pojo.ArrowType.FixedSizeList) field.getType()).getListSize();
    double threshold = spec.number(LfFields.SIMILARITY_THRESHOLD);
    if (threshold < -1 || threshold > 1) {
      throw spec.invalid("threshold", "'threshold' must be a cosine similarity in [-1, 1]");
    }
    float[] query;
    if (spec.has(LfFields.QUERY)) {
      query = vector(spec, "query", spec.raw(LfFields.QUERY), dimension);
    } else {
      com.fasterxml.jackson.databind.JsonNode examples = spec.raw(LfFields.EXAMPLES);
      if (!examples.isArray() || examples.isEmpty()) {
        throw spec.invalid("examples", "'examples' must be a non-empty list of vectors");
      }
      float[][] vectors = new float[examples.size()][];
      for (int i = 0; i < vectors.length; i++) {
        vectors[i] = vector(spec, "examples[" + i + "]", examples.get(i), dimension);
      }
      query = mean(vectors);
    }
    set.add(new CosineSimilarity(field.getName(), slot, set.code(spec), query, threshold));
  }

  private static float[] vector(LfSpec spec, String what, com.fasterxml.jackson.databind.JsonNode node, int dimension) {
    String field = what.startsWith("examples") ? "examples" : what;
    if (node == null || !node.isArray()) {
      throw spec.invalid(field, "'" + what + "' must be a list of numbers");
    }
    if (node.size() != dimension) {
      throw spec.invalid(field, "'" + what + "' has length " + node.size() + "; column vectors have length " + dimension);
    }
    float[] out = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      com.fasterxml.jackson.databind.JsonNode v = node.get(i);
      if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
        throw spec.invalid(field, "'" + what + "' must hold finite numbers only");
      }
      out[i] = (float) v.asDouble();
    }
    return out;
  }

  /** The element-wise mean of example vectors, all of the same length. */
  static float[] mean(float[][] examples) {
    int dim = examples[0].length;
    double[] sum = new double[dim];
    for (float[] e : examples) {
      for (int i = 0; i < dim; i++) {
        sum[i] += e[i];
      }
    }
    float[] mean = new float[dim];
    for (int i = 0; i < dim; i++) {
      mean[i] = (float) (sum[i] / examples.length);
    }
    return mean;
  }

  @Override
  public int[] slots() {
    return new int[] {slot};
  }

  @Override
  public void evaluate(VectorSchemaRoot chunk, byte[][] out) {
    CancelToken.check();
    VectorColumn vectors = VectorColumn.of(chunk.getVector(column));
    if (vectors.dimension != query.length) {
      throw new IllegalStateException("column '" + column + "' holds vectors of length " + vectors.dimension
          + ", the query has " + query.length);
    }
    float[] data = vectors.data;
    int dim = query.length;
    byte[] labels = out[slot];
    int rows = vectors.rows();
    if (queryNorm == 0) {
      return;
    }
    for (int row = 0, base = 0; row < rows; row++, base += dim) {
      if ((row & (CHECK_ROWS - 1)) == 0) {
        CancelToken.check();
      }
      if (vectors.isNull(row)) {
        continue;
      }
      double dot = 0;
      double sq = 0;
      for (int i = 0; i < dim; i++) {
        double x = data[base + i];
        dot += x * query[i];
        sq += x * x;
      }
      if (sq > 0 && dot / (Math.sqrt(sq) * queryNorm) > threshold) {
        labels[row] = label;
      }
    }
  }
}
