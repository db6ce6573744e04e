package dev.labelflight.engine.analysis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The result of an LF analysis, with Snorkel's {@code LFAnalysis.lf_summary} columns per LF and the
 * label-matrix totals. {@code correct}, {@code incorrect} and {@code empAcc} are null without gold.
 */
public record LfSummary(long rows, List<String> names, int[][] polarity, double[] coverage, double[] overlaps,
    double[] conflicts, long[] correct, long[] incorrect, double[] empAcc, double totalCoverage,
    double totalOverlap, double totalConflict) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public boolean hasGold() {
    return correct != null;
  }

  /** The {@code analysis} action's answer: {@code {"lfs": [...], "totals": {...}, "rows"}}. */
  public ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode lfs = root.putArray("lfs");
    for (int j = 0; j < names.size(); j++) {
      ObjectNode lf = lfs.addObject();
      lf.put("name", names.get(j));
      lf.put("j", j);
      ArrayNode pol = lf.putArray("polarity");
      for (int c : polarity[j]) {
        pol.add(c);
      }
      lf.put("coverage", coverage[j]);
      lf.put("overlaps", overlaps[j]);
      lf.put("conflicts", conflicts[j]);
      if (hasGold()) {
        lf.put("correct", correct[j]);
        lf.put("incorrect", incorrect[j]);
        lf.put("emp_acc", empAcc[j]);
      }
    }
    ObjectNode totals = root.putObject("totals");
    totals.put("coverage", totalCoverage);
    totals.put("overlap", totalOverlap);
    totals.put("conflict", totalConflict);
    root.put("rows", rows);
    return root;
  }
}
