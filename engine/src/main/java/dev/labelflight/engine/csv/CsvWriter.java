package dev.labelflight.engine.csv;

/**
 * Writes RFC 4180 CSV into a {@link StringBuilder}: fields joined by commas, records ended by CRLF, a field
 * quoted when it holds a comma, a quote, a line break or leading/trailing spaces (quotes doubled inside).
 * A null is an empty field. Exports build one chunk's text at a time.
 */
public final class CsvWriter {
  private final StringBuilder out;
  private boolean first = true;

  public CsvWriter(StringBuilder out) {
    this.out = out;
  }

  /** Adds a field to the current record. */
  public CsvWriter field(Object value) {
    if (!first) {
      out.append(',');
    }
    first = false;
    if (value == null) {
      return this;
    }
    String s = value instanceof Double d && (d.isNaN() || d.isInfinite()) ? (d.isNaN() ? "nan" : d > 0 ? "inf" : "-inf")
        : value.toString();
    if (needsQuotes(s)) {
      out.append('"').append(s.replace("\"", "\"\"")).append('"');
    } else {
      out.append(s);
    }
    return this;
  }

  /** Ends the current record. */
  public CsvWriter end() {
    out.append("\r\n");
    first = true;
    return this;
  }

  private static boolean needsQuotes(String s) {
    if (s.isEmpty()) {
      return false;
    }
    if (s.charAt(0) == ' ' || s.charAt(s.length() - 1) == ' ') {
      return true;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == ',' || c == '"' || c == '\n' || c == '\r') {
        return true;
      }
    }
    return false;
  }
}
