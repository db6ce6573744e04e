package dev.labelflight.engine.lfset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a save changed in an LF set, for the history ("who changed what"): {@code {"created"?: true,
 * "added": [LF names], "removed": [..], "changed": [..], "labels"?: true, "gold"?: true}} (empty lists and
 * false flags left out). LFs are matched by name.
 */
final class LfSetChanges {
  private static final ObjectMapper JSON = new ObjectMapper();

  private LfSetChanges() {}

  static ObjectNode between(JsonNode before, JsonNode after) {
    ObjectNode changes = JSON.createObjectNode();
    if (before == null) {
      changes.put("created", true);
    }
    Map<String, JsonNode> old = byName(before);
    Map<String, JsonNode> now = byName(after);
    var added = changes.putArray("added");
    var changed = changes.putArray("changed");
    var removed = changes.putArray("removed");
    now.forEach((name, lf) -> {
      if (!old.containsKey(name)) {
        added.add(name);
      } else if (!old.get(name).equals(lf)) {
        changed.add(name);
      }
    });
    old.keySet().stream().filter(name -> !now.containsKey(name)).forEach(removed::add);
    for (String list : new String[] {"added", "changed", "removed"}) {
      if (changes.get(list).isEmpty()) {
        changes.remove(list);
      }
    }
    if (before != null && !Objects.equals(before.get("labels"), after.get("labels"))) {
      changes.put("labels", true);
    }
    if (before != null && !Objects.equals(nullToMissing(before.get("gold")), nullToMissing(after.get("gold")))) {
      changes.put("gold", true);
    }
    return changes;
  }

  private static JsonNode nullToMissing(JsonNode node) {
    return node == null || node.isNull() ? null : node;
  }

  private static Map<String, JsonNode> byName(JsonNode set) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    if (set != null && set.path("lfs").isArray()) {
      for (JsonNode lf : set.get("lfs")) {
        out.put(lf.path("name").asText(), lf);
      }
    }
    return out;
  }
}
