package dev.labelflight.engine.lf;

/**
 * Bounds on what one job may ask for; exceeding one is an INVALID_ARGUMENT naming it. Expression LFs are
 * bounded at compile time (source length, AST nesting depth and node count) and at run time (iterations
 * of each comprehension, and a deadline per chunk). {@code maxClasses} bounds a job's label space.
 */
public record LfLimits(int maxLfs, int maxRegexLength, int maxKeywordsPerLf, int maxExpressionLength,
    int maxExpressionDepth, int maxExpressionNodes, int comprehensionMaxIterations, long expressionChunkDeadlineMs,
    int maxClasses) {
  public static final int DEFAULT_MAX_CLASSES = 1000;
  public static final LfLimits DEFAULT = new LfLimits(5000, 4096, 100_000);

  /** The given LF bounds with the default expression bounds. */
  public LfLimits(int maxLfs, int maxRegexLength, int maxKeywordsPerLf) {
    this(maxLfs, maxRegexLength, maxKeywordsPerLf, 4096, 32, 1000, 10_000, 30_000);
  }

  /** The given bounds with the default class limit. */
  public LfLimits(int maxLfs, int maxRegexLength, int maxKeywordsPerLf, int maxExpressionLength,
      int maxExpressionDepth, int maxExpressionNodes, int comprehensionMaxIterations, long expressionChunkDeadlineMs) {
    this(maxLfs, maxRegexLength, maxKeywordsPerLf, maxExpressionLength, maxExpressionDepth, maxExpressionNodes,
        comprehensionMaxIterations, expressionChunkDeadlineMs, DEFAULT_MAX_CLASSES);
  }

  /** These bounds with another class limit. */
  public LfLimits withMaxClasses(int classes) {
    return new LfLimits(maxLfs, maxRegexLength, maxKeywordsPerLf, maxExpressionLength, maxExpressionDepth,
        maxExpressionNodes, comprehensionMaxIterations, expressionChunkDeadlineMs, classes);
  }
}
