package dev.labelflight.engine.store;

import dev.labelflight.engine.error.LabelFlightException;

/**
 * One dataset version: its stored name (in its user's namespace, {@link DatasetNames}) and version number.
 * Its text form {@code NAME@VERSION} is what the cluster directory, tickets and logs show; build and read it
 * only here.
 */
public record DatasetRef(String name, int version) {
  public DatasetRef {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a dataset reference needs a name");
    }
    if (version < 1) {
      throw new IllegalArgumentException("dataset versions start at 1: " + version);
    }
  }

  /** The version a manifest describes. */
  public static DatasetRef of(Manifest manifest) {
    return new DatasetRef(manifest.name(), manifest.version());
  }

  /** Reads {@code NAME@VERSION}; INVALID_ARGUMENT if it is not one. */
  public static DatasetRef parse(String text) {
    int at = text == null ? -1 : text.lastIndexOf('@');
    if (at <= 0 || at == text.length() - 1) {
      throw LabelFlightException.invalid("not a dataset version (NAME@VERSION): " + text);
    }
    try {
      return new DatasetRef(text.substring(0, at), Integer.parseInt(text.substring(at + 1)));
    } catch (IllegalArgumentException e) {
      throw LabelFlightException.invalid("not a dataset version (NAME@VERSION): " + text);
    }
  }

  /** Whether this is a version of the dataset stored as {@code name}. */
  public boolean isVersionOf(String name) {
    return this.name.equals(name);
  }

  /** {@code NAME@VERSION}. */
  @Override
  public String toString() {
    return name + "@" + version;
  }
}
