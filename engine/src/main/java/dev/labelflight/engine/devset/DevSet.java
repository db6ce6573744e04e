package dev.labelflight.engine.devset;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.Arrays;
import java.util.List;

/**
 * The hand labels of one dataset version: row ids in increasing order and the class name given to each,
 * with who saved them last and when. Immutable.
 */
public record DevSet(String dataset, int version, long[] rows, String[] labels, String updated, String user) {
  public DevSet {
    if (rows.length != labels.length) {
      throw new IllegalArgumentException("rows and labels differ in length");
    }
  }

  /** A dev set without labels. */
  public static DevSet empty(String dataset, int version) {
    return new DevSet(dataset, version, new long[0], new String[0], null, null);
  }

  public int size() {
    return rows.length;
  }

  /** The label of {@code row}, or null if it has none. */
  public String label(long row) {
    int i = Arrays.binarySearch(rows, row);
    return i < 0 ? null : labels[i];
  }

  /**
   * These labels as gold for a job over {@code classes}: INVALID_ARGUMENT naming the first label that is not
   * one of them (a dev set labelled with another label space).
   */
  public DevGold gold(List<String> classes) {
    java.util.Map<String, Integer> index = new java.util.HashMap<>();
    for (int c = 0; c < classes.size(); c++) {
      index.putIfAbsent(classes.get(c), c);
    }
    short[] codes = new short[rows.length];
    for (int i = 0; i < rows.length; i++) {
      Integer c = index.get(labels[i]);
      if (c == null) {
        throw LabelFlightException.invalid("the dev set of '" + dataset + "' v" + version + " labels row " + rows[i]
            + " '" + labels[i] + "', which is not one of the classes " + classes);
      }
      codes[i] = c.shortValue();
    }
    return new DevGold(rows, codes);
  }
}
