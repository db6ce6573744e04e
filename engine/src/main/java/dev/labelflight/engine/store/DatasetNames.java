package dev.labelflight.engine.store;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.regex.Pattern;

/** The rule for dataset names: they become directory names, so nothing that could escape the store. */
public final class DatasetNames {
  public static final int MAX_LENGTH = 128;
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

  private DatasetNames() {}

  /** Returns the name if it is valid, else throws INVALID_ARGUMENT naming the problem. */
  public static String validate(String name) {
    if (name == null || name.isEmpty()) {
      throw LabelFlightException.invalid("dataset name is empty");
    }
    if (name.length() > MAX_LENGTH) {
      throw LabelFlightException.invalid("dataset name is longer than " + MAX_LENGTH + " characters");
    }
    if (!VALID.matcher(name).matches() || name.contains("..")) {
      throw LabelFlightException.invalid(
          "dataset name '" + name + "' is invalid: use letters, digits, '_', '-', '.', starting with a letter or digit, no '..'");
    }
    return name;
  }
}
