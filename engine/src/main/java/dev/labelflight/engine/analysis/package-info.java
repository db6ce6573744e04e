/**
 * LF analysis over a job's label matrix, with Snorkel's definitions: coverage, overlaps, conflicts, and with a
 * gold column (read and typed by {@link dev.labelflight.engine.analysis.GoldColumn}) correct/incorrect and
 * empirical accuracy per LF ({@link dev.labelflight.engine.analysis.LfAnalysis}); the multi-label variants.
 */
package dev.labelflight.engine.analysis;
