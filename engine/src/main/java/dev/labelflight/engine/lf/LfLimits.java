package dev.labelflight.engine.lf;

/** Bounds on what one job may ask for; exceeding one is an INVALID_ARGUMENT naming it. */
public record LfLimits(int maxLfs, int maxRegexLength, int maxKeywordsPerLf) {
  public static final LfLimits DEFAULT = new LfLimits(5000, 4096, 100_000);
}
