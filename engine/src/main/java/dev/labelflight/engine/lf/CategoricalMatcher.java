package dev.labelflight.engine.lf;

import dev.labelflight.engine.cancel.CancelToken;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;

/**
 * A categorical LF: the column's value is one of a set of strings (utf8 columns) or integers (int
 * columns). Strings are matched on their UTF-8 bytes through an open-addressing table, integers through a
 * sorted array, so no row creates an object. A dictionary-encoded column is matched once per dictionary
 * entry and then labelled by index. Nulls abstain.
 */
final class CategoricalMatcher implements LfEvaluator {
  /** Rows between cancellation checks (a string hash and compare each: well under a millisecond). */
  private static final int CHECK_ROWS = 4096;
  private final String column;
  private final int slot;
  private final byte label;
  private final ByteStringSet strings;
  private final long[] ints;

  private CategoricalMatcher(String column, int slot, byte label, ByteStringSet strings, long[] ints) {
    this.column = column;
    this.slot = slot;
    this.label = label;
    this.strings = strings;
    this.ints = ints;
  }

  /** The compile hook of {@link LfKind#CATEGORICAL}: strings for a text column, integers for an int column. */
  static void compile(LfSpec spec, int slot, LfSetBuilder set) {
    org.apache.arrow.vector.types.pojo.Field field = set.column(spec, LfFields.CATEGORY_COLUMN);
    String column = field.getName();
    com.fasterxml.jackson.databind.JsonNode values = spec.raw(LfFields.VALUES);
    if (!values.isArray() || values.isEmpty()) {
      throw spec.invalid("values", "'values' must be a non-empty list of strings or integers");
    }
    int max = set.limits().maxKeywordsPerLf();
    if (values.size() > max) {
      throw spec.overLimit("values", "more than " + max + " values (limits.maxKeywordsPerLf)", max, values.size(),
          "values");
    }
    byte label = set.code(spec);
    if (LfField.ColumnType.TEXT.accepts(field)) {
      List<String> strings = new java.util.ArrayList<>(values.size());
      for (com.fasterxml.jackson.databind.JsonNode v : values) {
        if (!v.isTextual()) {
          throw spec.invalid("values", "'values' must hold strings for text column '" + column + "'; got " + v);
        }
        strings.add(v.asText());
      }
      set.add(ofStrings(column, slot, label, strings));
      return;
    }
    long[] ints = new long[values.size()];
    for (int i = 0; i < ints.length; i++) {
      com.fasterxml.jackson.databind.JsonNode v = values.get(i);
      if (!v.isIntegralNumber() || !v.canConvertToLong()) {
        throw spec.invalid("values", "'values' must hold integers for int column '" + column + "'; got " + v);
      }
      ints[i] = v.asLong();
    }
    set.add(ofInts(column, slot, label, ints));
  }

  static CategoricalMatcher ofStrings(String column, int slot, byte label, List<String> values) {
    return new CategoricalMatcher(column, slot, label, new ByteStringSet(values), null);
  }

  static CategoricalMatcher ofInts(String column, int slot, byte label, long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return new CategoricalMatcher(column, slot, label, null, sorted);
  }

  @Override
  public int[] slots() {
    return new int[] {slot};
  }

  @Override
  public void evaluate(VectorSchemaRoot chunk, byte[][] out) {
    evaluate(chunk, null, out);
  }

  @Override
  public void evaluate(VectorSchemaRoot chunk, DictionaryProvider dictionaries, byte[][] out) {
    FieldVector vector = chunk.getVector(column);
    DictionaryEncoding encoding = vector.getField().getDictionary();
    if (encoding == null) {
      match(vector, out[slot], chunk.getRowCount());
      return;
    }
    Dictionary dictionary = dictionaries == null ? null : dictionaries.lookup(encoding.getId());
    if (dictionary == null) {
      throw new IllegalStateException("column '" + column + "' is dictionary-encoded but its dictionary "
          + encoding.getId() + " was not provided");
    }
    FieldVector values = dictionary.getVector();
    byte[] entryLabels = new byte[values.getValueCount()];
    Arrays.fill(entryLabels, LabelSpace.ABSTAIN);
    match(values, entryLabels, values.getValueCount());
    BaseIntVector indexes = (BaseIntVector) vector;
    byte[] labels = out[slot];
    int rows = chunk.getRowCount();
    CancelToken.check();
    for (int row = 0; row < rows; row++) {
      if (!vector.isNull(row)) {
        labels[row] = entryLabels[(int) indexes.getValueAsLong(row)];
      }
    }
  }

  /** Labels rows {@code [0, rows)} of a plain (not dictionary-encoded) vector; checks cancellation per block of rows. */
  private void match(FieldVector vector, byte[] labels, int rows) {
    if (strings != null) {
      TextColumn text = TextColumn.of(vector);
      for (int row = 0; row < rows; row++) {
        if ((row & (CHECK_ROWS - 1)) == 0) {
          CancelToken.check();
        }
        if (!text.isNull(row) && strings.contains(text.data, text.offsets[row], text.offsets[row + 1])) {
          labels[row] = label;
        }
      }
    } else {
      BaseIntVector v = (BaseIntVector) vector;
      for (int row = 0; row < rows; row++) {
        if ((row & (CHECK_ROWS - 1)) == 0) {
          CancelToken.check();
        }
        if (!vector.isNull(row) && Arrays.binarySearch(ints, v.getValueAsLong(row)) >= 0) {
          labels[row] = label;
        }
      }
    }
  }
}
