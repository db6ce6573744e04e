package dev.labelflight.engine.lf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.labelflight.engine.error.LabelFlightException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The job's classes: labels are their indexes {@code 0..k-1}; {@value #ABSTAIN} means no vote. */
public final class LabelSpace {
  public static final byte ABSTAIN = -1;
  /**
   * Written by a fault-tolerant LF where it failed on a row: stored as such in the label cache (so that
   * faults are counted again from cached columns) and read back as {@link #ABSTAIN}.
   */
  public static final byte FAULT = -2;
  /** {@link #FAULT} marks in a label column. */
  public static int countFaults(byte[] column) {
    int n = 0;
    for (byte b : column) {
      n += b == FAULT ? 1 : 0;
    }
    return n;
  }

  /** The column as clients see it: {@link #FAULT} read as {@link #ABSTAIN} (a copy, only if it has any). */
  public static byte[] withoutFaults(byte[] column) {
    byte[] out = column;
    for (int i = 0; i < column.length; i++) {
      if (column[i] == FAULT) {
        if (out == column) {
          out = column.clone();
        }
        out[i] = ABSTAIN;
      }
    }
    return out;
  }

  /** int8 label columns hold up to this many classes. */
  public static final int MAX_CLASSES = 127;

  private final List<String> names;
  private final Map<String, Integer> index = new HashMap<>();

  public LabelSpace(List<String> names) {
    if (names.isEmpty()) {
      throw LabelFlightException.invalid("'labels' is empty: give at least one class name");
    }
    if (names.size() > MAX_CLASSES) {
      throw LabelFlightException.invalid("'labels' has " + names.size() + " classes; at most " + MAX_CLASSES);
    }
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      if (name == null || name.isEmpty()) {
        throw LabelFlightException.invalid("'labels' holds an empty class name");
      }
      if (index.put(name, i) != null) {
        throw LabelFlightException.invalid("'labels' holds class '" + name + "' twice");
      }
    }
    this.names = List.copyOf(names);
  }

  public static LabelSpace fromJson(JsonNode labels) {
    if (labels == null || !labels.isArray()) {
      throw LabelFlightException.invalid("'labels' must be a list of class names");
    }
    List<String> names = new ArrayList<>();
    for (JsonNode n : labels) {
      if (!n.isTextual()) {
        throw LabelFlightException.invalid("'labels' must hold strings");
      }
      names.add(n.asText());
    }
    return new LabelSpace(names);
  }

  public List<String> names() {
    return names;
  }

  public int size() {
    return names.size();
  }

  /** The class index of an LF's {@code label} field. */
  public byte labelOf(LfSpec spec) {
    String label = spec.requiredString("label");
    Integer i = index.get(label);
    if (i == null) {
      throw spec.invalid("label '" + label + "' is not one of the job's labels " + names);
    }
    return (byte) (int) i;
  }
}
