package dev.labelflight.engine.apply;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The {@code mode} of an apply: {@link #AUTO} lets the router choose where the job runs; {@link #RESIDENT}
 * and {@link #QUEUE} force a path. On the wire it is the lower-case name.
 */
public enum ExecutionMode {
  AUTO, RESIDENT, QUEUE;

  /** Every mode's wire name, in declaration order. */
  public static final List<String> WIRE_NAMES = Arrays.stream(values()).map(ExecutionMode::wireName).toList();

  /** {@code auto}, {@code resident} or {@code queue}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The mode named {@code wire}; INVALID_ARGUMENT naming the choices otherwise. */
  public static ExecutionMode parse(String wire) {
    for (ExecutionMode mode : values()) {
      if (mode.wireName().equals(wire)) {
        return mode;
      }
    }
    throw LabelFlightException.invalid("'mode' must be one of " + WIRE_NAMES);
  }
}
