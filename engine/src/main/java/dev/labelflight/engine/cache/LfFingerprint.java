package dev.labelflight.engine.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;

/**
 * The cache key of an LF's label column: SHA-256 (hex) of its canonical JSON without {@code name}, plus
 * the job's class list. The name is left out so that renaming an LF reuses its labels; the classes are
 * in because they give the stored class indexes their meaning (an LF's {@code label} becomes an index
 * into them, and expression LFs return indexes), and so is the code the LF's votes are stored as
 * ({@link LabelSpace#code}: class index, multi-label 1/0 by {@code vote}, or the int16 "votes" mark). Canonical: keys sorted at every level, numbers in
 * their shortest plain decimal form, strings JSON-escaped.
 */
public final class LfFingerprint {
  private LfFingerprint() {}

  public static String of(LfSpec spec, LabelSpace labels) {
    return of(spec, labels, List.of());
  }

  /**
   * As {@link #of(LfSpec, LabelSpace)} for an LF that reads derived columns: {@code derived} names each
   * with the id of its definition ({@code name=id}), so that labels computed over a column that was
   * later redefined are never reused. Without derived columns the fingerprint is the plain one.
   */
  public static String of(LfSpec spec, LabelSpace labels, List<String> derived) {
    StringBuilder text = new StringBuilder("lf:");
    canonical(spec.json(), text, true);
    text.append("\nlabels:");
    for (String name : labels.names()) {
      quote(name, text);
      text.append(',');
    }
    if (!derived.isEmpty()) {
      text.append("\nderived:");
      derived.forEach(d -> text.append(d).append(','));
    }
    // What a vote is stored as (see LabelSpace): 1/0 by vote sign, or the int16 "votes" mark; a class
    // index otherwise (nothing to add then: label and classes above fix it).
    if (labels.multiLabel() || labels.wideVotes()) {
      text.append("\ncode:").append(labels.multiLabel() ? "multi:" : "wide:").append(labels.code(spec));
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Fingerprints of a job's LFs, in their order. */
  public static List<String> of(List<LfSpec> specs, LabelSpace labels) {
    List<String> out = new ArrayList<>(specs.size());
    for (LfSpec spec : specs) {
      out.add(of(spec, labels));
    }
    return out;
  }

  private static void canonical(JsonNode node, StringBuilder out, boolean top) {
    if (node.isObject()) {
      List<String> keys = new ArrayList<>();
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        // The vote sign enters through the stored code (below), so "positive" and no vote are one column.
        // A python LF is keyed by its "fingerprint" (code, closure, packages), not by its pickle, which
        // differs between client processes for the same function.
        if (!(top && (key.equals("name") || key.equals("vote") || key.equals("pickle")))) {
          keys.add(key);
        }
      }
      keys.sort(null);
      out.append('{');
      for (String key : keys) {
        quote(key, out);
        out.append(':');
        canonical(node.get(key), out, false);
        out.append(',');
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      for (JsonNode item : node) {
        canonical(item, out, false);
        out.append(',');
      }
      out.append(']');
    } else if (node.isNumber()) {
      out.append(node.decimalValue().stripTrailingZeros().toPlainString());
    } else if (node.isTextual()) {
      quote(node.asText(), out);
    } else {
      out.append(node.toString());
    }
  }

  private static void quote(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
  }
}
