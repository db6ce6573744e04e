package dev.labelflight.engine.lf;

import java.nio.ByteOrder;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.complex.FixedSizeListVector;

/**
 * A FixedSizeList&lt;float32&gt; column as one float array ({@code dimension} floats per row), copied once
 * per chunk so that inner loops index a plain array.
 */
public final class VectorColumn {
  public final float[] data;
  public final int dimension;
  private final FixedSizeListVector vector;

  private VectorColumn(float[] data, int dimension, FixedSizeListVector vector) {
    this.data = data;
    this.dimension = dimension;
    this.vector = vector;
  }

  /** Copies the vectors of a FixedSizeList&lt;float32&gt; column. */
  public static VectorColumn of(FieldVector column) {
    if (!(column instanceof FixedSizeListVector list) || !(list.getDataVector() instanceof Float4Vector floats)) {
      throw new IllegalArgumentException("not a fixed_size_list<float32> vector: " + column.getField());
    }
    int dimension = list.getListSize();
    int values = Math.multiplyExact(list.getValueCount(), dimension);
    float[] data = new float[values];
    if (values > 0) {
      floats.getDataBuffer().nioBuffer(0, values * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
    }
    return new VectorColumn(data, dimension, list);
  }

  public boolean isNull(int row) {
    return vector.isNull(row);
  }

  public int rows() {
    return vector.getValueCount();
  }
}
