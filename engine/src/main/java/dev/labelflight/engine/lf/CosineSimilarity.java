package dev.labelflight.engine.lf;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A similarity LF: the cosine similarity between a row's vector and the query vector is above a
 * threshold. Sums run in double in element order. Null rows and zero vectors abstain.
 */
final class CosineSimilarity implements LfEvaluator {
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
