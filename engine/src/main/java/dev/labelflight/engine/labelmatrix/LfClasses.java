package dev.labelflight.engine.labelmatrix;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which class each LF of a multi-label job is about ({@code lfClasses} in the job status), and its inverse:
 * the LFs about each class, which make that class's binary problem (votes 1 = positive, 0 = negative).
 */
public final class LfClasses {
  private final int[] classOfLf;
  private final int[][] lfsOfClass;

  public LfClasses(int[] classOfLf, int classes) {
    this.classOfLf = classOfLf.clone();
    List<List<Integer>> byClass = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      byClass.add(new ArrayList<>());
    }
    for (int j = 0; j < classOfLf.length; j++) {
      if (classOfLf[j] < 0 || classOfLf[j] >= classes) {
        throw LabelFlightException.invalid("LF " + j + " is about class " + classOfLf[j] + ", outside 0.." + (classes - 1));
      }
      byClass.get(classOfLf[j]).add(j);
    }
    lfsOfClass = byClass.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
  }

  public int classes() {
    return lfsOfClass.length;
  }

  public int lfs() {
    return classOfLf.length;
  }

  /** The class LF {@code j} votes on. */
  public int classOf(int j) {
    return classOfLf[j];
  }

  /** The LFs about class {@code c}, in job order. */
  public int[] lfsOf(int c) {
    return lfsOfClass[c];
  }

  public int[] toArray() {
    return classOfLf.clone();
  }
}
