package dev.labelflight.engine.lf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.labelflight.engine.error.LabelFlightException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The job's classes: labels are their indexes {@code 0..k-1}; {@value #ABSTAIN} means no vote. A
 * multi-label job ({@link #multiLabel}) has each LF vote on its own class only: 1 (positive), 0 (negative).
 *
 * <p>Evaluators write one byte per row and LF, the LF's <em>code</em> ({@link #code}): the class index in
 * a single-label job of at most {@value #INT8_CLASSES} classes, 1/0 in a multi-label job, and
 * {@value #WIDE_VOTE} ("votes") in a wider single-label job, whose int16 label columns get the LF's class
 * index back when read ({@link #decode}). So evaluators and the label cache stay one byte per row and LF.
 */
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
    if (!hasFaults(column)) {
      return column;
    }
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

  private static final java.lang.invoke.VarHandle LONGS =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long FAULTS = ONES * (FAULT & 0xff);

  /** Whether a column holds a {@link #FAULT}: eight bytes per step (the usual column has none). */
  public static boolean hasFaults(byte[] column) {
    int i = 0;
    for (; i + Long.BYTES <= column.length; i += Long.BYTES) {
      long x = (long) LONGS.get(column, i) ^ FAULTS;
      // A zero byte in x is a FAULT byte in the column.
      if (((x - ONES) & ~x & (ONES << 7)) != 0) {
        return true;
      }
    }
    for (; i < column.length; i++) {
      if (column[i] == FAULT) {
        return true;
      }
    }
    return false;
  }

  /** int8 label columns hold up to this many classes; more need int16. */
  public static final int INT8_CLASSES = 127;
  /** The most classes int16 columns could hold; the configured limit ({@link LfLimits#maxClasses}) is lower. */
  public static final int MAX_CLASSES = Short.MAX_VALUE;
  /** The code of a vote in a single-label job of more than {@value #INT8_CLASSES} classes. */
  public static final byte WIDE_VOTE = 0;
  /** Multi-label votes. */
  public static final byte POSITIVE = 1;
  public static final byte NEGATIVE = 0;

  private final List<String> names;
  private final boolean multiLabel;
  private final Map<String, Integer> index = new HashMap<>();

  public LabelSpace(List<String> names) {
    this(names, false);
  }

  public LabelSpace(List<String> names, boolean multiLabel) {
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
    this.multiLabel = multiLabel;
  }

  public static LabelSpace fromJson(JsonNode labels) {
    return fromJson(labels, false);
  }

  public static LabelSpace fromJson(JsonNode labels, boolean multiLabel) {
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
    return new LabelSpace(names, multiLabel);
  }

  public List<String> names() {
    return names;
  }

  public int size() {
    return names.size();
  }

  public boolean multiLabel() {
    return multiLabel;
  }

  /** True when label columns are int16 (more than {@value #INT8_CLASSES} classes). */
  public boolean int16() {
    return int16(names.size());
  }

  public static boolean int16(int classes) {
    return classes > INT8_CLASSES;
  }

  /** True when stored codes are not class indexes but "votes" ({@link #WIDE_VOTE}) to decode per LF. */
  public boolean wideVotes() {
    return !multiLabel && int16();
  }

  /** The class index of an LF's {@code label} field. */
  public int classOf(LfSpec spec) {
    String label = spec.string(LfFields.LABEL);
    Integer i = index.get(label);
    if (i == null) {
      throw spec.invalid("label", "label '" + label + "' is not one of the job's labels " + names);
    }
    return i;
  }

  /** The class of an LF, or -1 for an expression without {@code label} (it returns class indexes itself). */
  public int lfClass(LfSpec spec) {
    return returnsClass(spec) ? -1 : classOf(spec);
  }

  /** True for an expression LF without {@code label} and a python LF: they compute a class index per row. */
  public static boolean returnsClass(LfSpec spec) {
    return (spec.kind() == LfKind.EXPRESSION && !spec.has(LfFields.OPTIONAL_LABEL)) || spec.kind() == LfKind.PYTHON;
  }

  /**
   * What an LF's evaluator writes where it votes (see the class comment); {@link #ABSTAIN} for an
   * expression without {@code label}, which writes class indexes itself (single-label jobs of at most
   * {@value #INT8_CLASSES} classes only). Checks {@code vote}.
   */
  public byte code(LfSpec spec) {
    String vote = spec.string(LfFields.VOTE);
    if (vote.equals("negative") && !multiLabel) {
      throw spec.invalid("vote", "'vote': 'negative' needs a multiLabel job");
    }
    if (returnsClass(spec)) {
      if (multiLabel) {
        throw spec.invalid("label", "in a multiLabel job an expression needs 'label' (the class it votes on)");
      }
      if (int16()) {
        throw spec.invalid("label", "an expression without 'label' returns class indexes, which needs at most "
            + INT8_CLASSES + " classes; give it a 'label' or use fewer classes");
      }
      return ABSTAIN;
    }
    int cls = classOf(spec);
    if (multiLabel) {
      return vote.equals("positive") ? POSITIVE : NEGATIVE;
    }
    return int16() ? WIDE_VOTE : (byte) cls;
  }

  /** The stored label of a code written for an LF of class {@code lfClass}. */
  public static short decode(byte code, int lfClass, boolean wideVotes) {
    return code == ABSTAIN || code == FAULT ? ABSTAIN : wideVotes ? (short) lfClass : code;
  }
}
