/**
 * Labeling functions: what an LF spec may say and how it runs over a chunk.
 *
 * <p>{@link dev.labelflight.engine.lf.LfKind} is the one registry of LF kinds and their fields
 * ({@link dev.labelflight.engine.lf.LfFields}); {@link dev.labelflight.engine.lf.LfSpec} is one LF as the
 * user wrote it, checked against its kind; {@link dev.labelflight.engine.lf.LfCompiler} turns a job's specs
 * into evaluators for a dataset schema through each kind's compile hook and an
 * {@link dev.labelflight.engine.lf.LfSetBuilder}; {@link dev.labelflight.engine.lf.CompiledLfSet} labels a
 * chunk. The evaluators of the kinds without a package of their own live here: keyword
 * ({@code KeywordMatcher}, {@code KeywordAutomaton}, with {@code WordIndex} and {@code TextSignatures} to skip
 * rows of resident data), regex ({@code RegexMatcher}, {@code RegexPrefilter}; the engines are in
 * {@code lf.regex}), numeric, categorical and similarity; with the columns they read
 * ({@link dev.labelflight.engine.lf.TextColumn}, {@link dev.labelflight.engine.lf.VectorColumn},
 * {@link dev.labelflight.engine.lf.ResidentText}) and the bounds ({@link dev.labelflight.engine.lf.LfLimits}).
 *
 * <p>Every evaluator observes the thread's {@link dev.labelflight.engine.cancel.CancelToken} every few
 * milliseconds of work, allocates nothing per row, and fails alone: an error names the LF (details
 * {@code lf}, {@code lfKind}, {@code field} or {@code row}), never a row's text.
 */
package dev.labelflight.engine.lf;
