package dev.labelflight.engine.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A deliberately naive, row-at-a-time implementation of the keyword, regex and numeric LFs over plain
 * Java values (String.contains, java.util.regex, double comparisons), used to check the engine's
 * columnar evaluators independently.
 */
public final class ReferenceLabels {
  private ReferenceLabels() {}

  /** The label (class index) the LF gives a row, or -1. {@code value} is a String, Number or null. */
  public static int label(JsonNode lf, Object value, java.util.List<String> labels) {
    int label = labels.indexOf(lf.get("label").asText());
    if (value == null) {
      return -1;
    }
    switch (lf.get("kind").asText()) {
      case "keyword": {
        boolean caseSensitive = lf.path("caseSensitive").asBoolean(false);
        boolean wholeWord = lf.path("wholeWord").asBoolean(false);
        String text = caseSensitive ? (String) value : ((String) value).toLowerCase(Locale.ROOT);
        for (JsonNode k : lf.get("keywords")) {
          String kw = caseSensitive ? k.asText() : k.asText().toLowerCase(Locale.ROOT);
          if (wholeWord) {
            if (Pattern.compile("(?<![A-Za-z0-9_])" + Pattern.quote(kw) + "(?![A-Za-z0-9_])").matcher(text).find()) {
              return label;
            }
          } else if (text.contains(kw)) {
            return label;
          }
        }
        return -1;
      }
      case "regex": {
        int flags = lf.path("caseSensitive").asBoolean(true) ? 0 : Pattern.CASE_INSENSITIVE;
        var m = Pattern.compile(lf.get("pattern").asText(), flags).matcher((String) value);
        boolean full = lf.path("match").asText("anywhere").equals("full");
        return (full ? m.matches() : m.find()) ? label : -1;
      }
      case "numeric": {
        double x = ((Number) value).doubleValue();
        if (Double.isNaN(x)) {
          return -1;
        }
        String op = lf.get("op").asText();
        double t = lf.path("value").asDouble();
        boolean hit = switch (op) {
          case "<" -> x < t;
          case "<=" -> x <= t;
          case ">" -> x > t;
          case ">=" -> x >= t;
          case "==" -> x == t;
          case "!=" -> x != t;
          case "between" -> x >= lf.get("min").asDouble() && x <= lf.get("max").asDouble();
          default -> throw new IllegalArgumentException(op);
        };
        return hit ? label : -1;
      }
      default:
        throw new IllegalArgumentException("no reference for " + lf);
    }
  }
}
