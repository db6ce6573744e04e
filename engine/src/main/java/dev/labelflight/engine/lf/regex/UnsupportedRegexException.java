package dev.labelflight.engine.lf.regex;

/** A regex construct the lazy DFA does not run; the caller keeps using RE2J for that pattern. */
final class UnsupportedRegexException extends RuntimeException {
  UnsupportedRegexException(String what) {
    super(what, null, false, false);
  }
}
