package dev.labelflight.engine.store;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.regex.Pattern;

/**
 * The rule for dataset names: they become directory names, so nothing that could escape the store.
 * A dataset owned by a user is stored as {@code OWNER~NAME} ({@link #qualify}): two users can both have
 * {@code reviews}, and a user never names another's dataset, because clients only ever give the plain
 * {@code NAME} (where {@code ~} is not allowed) and the server adds the authenticated owner. Datasets of
 * a server without authentication have no owner part.
 */
public final class DatasetNames {
  public static final int MAX_LENGTH = 128;
  /** Longest user name; user names become the owner part of stored names. */
  public static final int MAX_OWNER_LENGTH = 64;
  /** Between owner and name in a stored name; never part of a client-given name or a user name. */
  public static final char OWNER_SEPARATOR = '~';
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
  private static final Pattern VALID_OWNER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");

  private DatasetNames() {}

  /** The naming rule, as every refusal states it. */
  public static final String RULE = "dataset names have 1 to " + MAX_LENGTH + " characters: letters, digits, '_', '-'"
      + " and '.', starting with a letter or digit, without '..'";

  /**
   * Returns the name if it is valid, else throws INVALID_ARGUMENT stating the rule, with the field and (for
   * a name too long) the limit and the length among its details. Every name that passes is stored and
   * served as it is (each file name built from it stays within the file system's 255 bytes).
   */
  public static String validate(String name) {
    if (name == null || name.isEmpty()) {
      throw refused("a dataset name is empty; " + RULE);
    }
    if (name.length() > MAX_LENGTH) {
      throw refused("dataset name '" + abbreviate(name) + "' has " + name.length() + " characters; " + RULE)
          .withDetail(LabelFlightException.Detail.LIMIT, MAX_LENGTH)
          .withDetail(LabelFlightException.Detail.REQUESTED, name.length())
          .withDetail(LabelFlightException.Detail.UNIT, "chars");
    }
    if (!VALID.matcher(name).matches() || name.contains("..")) {
      throw refused("dataset name '" + abbreviate(name) + "' is invalid: " + RULE);
    }
    return name;
  }

  private static LabelFlightException refused(String message) {
    return LabelFlightException.invalid(message).withDetail(LabelFlightException.Detail.FIELD, "dataset");
  }

  /** Returns the user name if it may own datasets (letters, digits, '_', '-', at most 64), else INVALID_ARGUMENT. */
  public static String validateOwner(String owner) {
    if (owner == null || owner.isEmpty() || owner.length() > MAX_OWNER_LENGTH || !VALID_OWNER.matcher(owner).matches()) {
      throw LabelFlightException.invalid("user name '" + abbreviate(String.valueOf(owner))
          + "' is invalid: use 1 to " + MAX_OWNER_LENGTH + " letters, digits, '_' or '-', starting with a letter or digit");
    }
    return owner;
  }

  /** The stored name of {@code owner}'s dataset {@code name}; {@code owner == null} means unowned (no authentication). */
  public static String qualify(String owner, String name) {
    validate(name);
    return owner == null ? name : validateOwner(owner) + OWNER_SEPARATOR + name;
  }

  /** Checks a stored name: a valid name, optionally prefixed by a valid owner and {@code ~}. */
  public static String validateStored(String stored) {
    int at = stored == null ? -1 : stored.indexOf(OWNER_SEPARATOR);
    if (at < 0) {
      return validate(stored);
    }
    validateOwner(stored.substring(0, at));
    validate(stored.substring(at + 1));
    return stored;
  }

  /** The name as its owner knows it (the stored name without the owner part); used in every message and reply. */
  public static String display(String stored) {
    int at = stored.indexOf(OWNER_SEPARATOR);
    return at < 0 ? stored : stored.substring(at + 1);
  }

  /** Whether a stored name is in {@code owner}'s namespace ({@code null}: the unowned namespace). */
  public static boolean ownedBy(String stored, String owner) {
    int at = stored.indexOf(OWNER_SEPARATOR);
    return owner == null ? at < 0 : at == owner.length() && stored.startsWith(owner);
  }

  private static String abbreviate(String text) {
    return text.length() > 80 ? text.substring(0, 80) + "..." : text;
  }
}
