package dev.labelflight.engine.review;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.browse.RowJson;
import dev.labelflight.engine.lf.LfLimits;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.lf.MatchSpans;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The rows of a page as the browser shows them: the row as JSON ({@link RowJson}) and, for each keyword or
 * regex LF given, where it matches in its text column: {@code "spans": [{"lf", "column", "at": [start, end,
 * ...]}]}, UTF-16 offsets clipped to the text the row carries.
 */
final class RowHighlights {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final List<String> names = new ArrayList<>();
  private final List<MatchSpans> finders = new ArrayList<>();

  /** Span finders of the keyword/regex LFs among {@code specs} (the others are left out). */
  RowHighlights(List<LfSpec> specs, LfLimits limits) {
    for (LfSpec spec : specs) {
      Optional<MatchSpans> spans;
      try {
        spans = MatchSpans.of(spec, limits);
      } catch (RuntimeException e) {
        continue; // a job only holds LFs that compiled; a search's own LF was checked before
      }
      spans.ifPresent(s -> {
        names.add(spec.name());
        finders.add(s);
      });
    }
  }

  /** Position of {@code lf} among the LFs with spans, or -1. */
  int indexOf(String lf) {
    return names.indexOf(lf);
  }

  /** Row {@code index} of {@code data} with the spans of the LFs at {@code lfs} (positions among these LFs). */
  ObjectNode row(VectorSchemaRoot data, int index, int[] lfs, ObjectNode into) {
    into.set("row", RowJson.row(data, index));
    ArrayNode spans = into.putArray("spans");
    for (int k : lfs) {
      MatchSpans finder = finders.get(k);
      FieldVector column = data.getVector(finder.column());
      if (column == null || column.isNull(index)) {
        continue;
      }
      int[] at = finder.find(column.getObject(index).toString());
      ArrayNode offsets = NODES.arrayNode();
      for (int i = 0; i + 1 < at.length && at[i] < RowJson.MAX_TEXT; i += 2) {
        offsets.add(at[i]).add(Math.min(at[i + 1], RowJson.MAX_TEXT));
      }
      if (!offsets.isEmpty()) {
        spans.addObject().put("lf", names.get(k)).put("column", finder.column()).set("at", offsets);
      }
    }
    return into;
  }

  /** Positions (among these LFs) of the LFs named {@code voted}. */
  int[] positions(List<String> voted) {
    return voted.stream().mapToInt(names::indexOf).filter(i -> i >= 0).toArray();
  }
}
