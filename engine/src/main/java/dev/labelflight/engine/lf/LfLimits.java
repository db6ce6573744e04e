package dev.labelflight.engine.lf;

import java.util.Map;

/**
 * Bounds on what one job may ask for; exceeding one is an INVALID_ARGUMENT naming it. Expression LFs are
 * bounded at compile time (source length, AST nesting depth and node count) and at run time (iterations
 * of each comprehension, and a deadline per chunk). Regex LFs are bounded at compile time (pattern length,
 * and {@code maxRegexProgramSize}: the instructions of the pattern's expanded program, so that
 * {@code ((a{100}){100}){100}} is refused before anything compiles it) and at run time: the slow engines
 * (the NFA simulation that answers what the lazy DFA cannot, and RE2J) may take at most
 * {@code regexStepsPerByte} steps per byte of a chunk's text, past which the LF fails with
 * RESOURCE_EXHAUSTED. {@code maxClasses} bounds a job's label space.
 */
public record LfLimits(int maxLfs, int maxRegexLength, int maxKeywordsPerLf, int maxExpressionLength,
    int maxExpressionDepth, int maxExpressionNodes, int comprehensionMaxIterations, long expressionChunkDeadlineMs,
    int maxClasses, int maxRegexProgramSize, long regexStepsPerByte) {
  public static final int DEFAULT_MAX_CLASSES = 1000;
  /** RE2J's program for {@code ((a{100}){100}){100}} has a million instructions; RE2's default memory allows ~100k. */
  public static final int DEFAULT_MAX_REGEX_PROGRAM_SIZE = 100_000;
  /**
   * An NFA step is one live thread moved over one character (a few ns): 1,000 per byte bounds a 7 MB chunk
   * at roughly 20 s of one core, while ordinary patterns take 5-50.
   */
  public static final long DEFAULT_REGEX_STEPS_PER_BYTE = 1_000;
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

  /** The given bounds with the default regex run-time bounds. */
  public LfLimits(int maxLfs, int maxRegexLength, int maxKeywordsPerLf, int maxExpressionLength,
      int maxExpressionDepth, int maxExpressionNodes, int comprehensionMaxIterations, long expressionChunkDeadlineMs,
      int maxClasses) {
    this(maxLfs, maxRegexLength, maxKeywordsPerLf, maxExpressionLength, maxExpressionDepth, maxExpressionNodes,
        comprehensionMaxIterations, expressionChunkDeadlineMs, maxClasses, DEFAULT_MAX_REGEX_PROGRAM_SIZE,
        DEFAULT_REGEX_STEPS_PER_BYTE);
  }

  /**
   * The bounds of a {@code limits} config object (the keys are the component names; a missing key takes
   * the default), so that a new limit is one component here and one key in {@code conf/labelflight.json}.
   */
  public static LfLimits fromConfig(Map<String, ?> config) {
    LfLimits d = DEFAULT;
    return new LfLimits(
        intOf(config, "maxLfs", d.maxLfs),
        intOf(config, "maxRegexLength", d.maxRegexLength),
        intOf(config, "maxKeywordsPerLf", d.maxKeywordsPerLf),
        intOf(config, "maxExpressionLength", d.maxExpressionLength),
        intOf(config, "maxExpressionDepth", d.maxExpressionDepth),
        intOf(config, "maxExpressionNodes", d.maxExpressionNodes),
        intOf(config, "comprehensionMaxIterations", d.comprehensionMaxIterations),
        longOf(config, "expressionChunkDeadlineMs", d.expressionChunkDeadlineMs),
        intOf(config, "maxClasses", d.maxClasses),
        intOf(config, "maxRegexProgramSize", d.maxRegexProgramSize),
        longOf(config, "regexStepsPerByte", d.regexStepsPerByte));
  }

  private static int intOf(Map<String, ?> config, String key, int fallback) {
    return Math.toIntExact(longOf(config, key, fallback));
  }

  private static long longOf(Map<String, ?> config, String key, long fallback) {
    Object v = config.get(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Number n) {
      return n.longValue();
    }
    try {
      return Long.parseLong(v.toString().trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("limits." + key + " must be a whole number, not '" + v + "'");
    }
  }

  /** These bounds with another class limit. */
  public LfLimits withMaxClasses(int classes) {
    return new LfLimits(maxLfs, maxRegexLength, maxKeywordsPerLf, maxExpressionLength, maxExpressionDepth,
        maxExpressionNodes, comprehensionMaxIterations, expressionChunkDeadlineMs, classes, maxRegexProgramSize,
        regexStepsPerByte);
  }

  /** These bounds with other regex bounds (program size at compile time, slow-engine steps per byte at run time). */
  public LfLimits withRegexLimits(int programSize, long stepsPerByte) {
    return new LfLimits(maxLfs, maxRegexLength, maxKeywordsPerLf, maxExpressionLength, maxExpressionDepth,
        maxExpressionNodes, comprehensionMaxIterations, expressionChunkDeadlineMs, maxClasses, programSize,
        stepsPerByte);
  }

  /** These bounds with other expression run-time bounds. */
  public LfLimits withExpressionRunLimits(int iterations, long chunkDeadlineMs) {
    return new LfLimits(maxLfs, maxRegexLength, maxKeywordsPerLf, maxExpressionLength, maxExpressionDepth,
        maxExpressionNodes, iterations, chunkDeadlineMs, maxClasses, maxRegexProgramSize, regexStepsPerByte);
  }
}
