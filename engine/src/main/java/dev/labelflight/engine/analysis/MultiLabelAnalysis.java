package dev.labelflight.engine.analysis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.labelmatrix.LfClasses;
import java.util.ArrayList;
import java.util.List;

/**
 * LF analysis of a multi-label job, class by class: for class {@code c}, the LFs about {@code c} form a
 * binary problem (1 = positive, 0 = negative, -1 = abstain) analysed with Snorkel's definitions by an
 * {@link LfAnalysis} of its own; gold, when given, is per class 1 (the row has the class), 0 (it has not)
 * or -1 (unknown). Chunk by chunk, counts only.
 */
public final class MultiLabelAnalysis {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final List<String> classNames;
  private final List<String> lfNames;
  private final LfClasses lfClasses;
  private final LfAnalysis[] perClass;

  public MultiLabelAnalysis(List<String> lfNames, List<String> classNames, LfClasses lfClasses, boolean withGold) {
    if (lfNames.size() != lfClasses.lfs() || classNames.size() != lfClasses.classes()) {
      throw new IllegalArgumentException("LF classes do not match the LFs or classes");
    }
    this.classNames = List.copyOf(classNames);
    this.lfNames = List.copyOf(lfNames);
    this.lfClasses = lfClasses;
    perClass = new LfAnalysis[classNames.size()];
    for (int c = 0; c < perClass.length; c++) {
      List<String> names = new ArrayList<>();
      for (int j : lfClasses.lfsOf(c)) {
        names.add(lfNames.get(j));
      }
      perClass[c] = new LfAnalysis(names, 2, withGold);
    }
  }

  /** Adds one chunk; {@code gold[c][row]} per class (1, 0, -1), required exactly when built with gold. */
  public void add(LabelChunk chunk, short[][] gold) {
    if (chunk.lfs() != lfNames.size()) {
      throw dev.labelflight.engine.error.LabelFlightException.invalid("label chunk has " + chunk.lfs()
          + " LFs, analysis expects " + lfNames.size());
    }
    for (int c = 0; c < perClass.length; c++) {
      perClass[c].add(chunk.select(lfClasses.lfsOf(c)), gold == null ? null : gold[c]);
    }
  }

  /** The summary of class {@code c}'s binary problem; its LF indexes are positions in {@link LfClasses#lfsOf}. */
  public LfSummary summary(int c) {
    return perClass[c].summary();
  }

  /**
   * The {@code analysis} answer of a multi-label job: {@code {"multiLabel": true, "rows", "classes": [{"class",
   * "lfs": [...], "totals": {...}}]}}, each LF's {@code j} being its index in the job.
   */
  public ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode().put("multiLabel", true);
    ArrayNode classes = root.putArray("classes");
    long rows = 0;
    for (int c = 0; c < perClass.length; c++) {
      LfSummary summary = perClass[c].summary();
      rows = summary.rows();
      ObjectNode one = summary.toJson();
      one.remove("rows");
      int[] lfs = lfClasses.lfsOf(c);
      for (int i = 0; i < lfs.length; i++) {
        ((ObjectNode) one.get("lfs").get(i)).put("j", lfs[i]);
      }
      ObjectNode entry = JSON.createObjectNode().put("class", classNames.get(c));
      entry.setAll(one);
      classes.add(entry);
    }
    root.put("rows", rows);
    return root;
  }
}
