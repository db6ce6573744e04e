/**
 * Label models that turn a label matrix into probabilities per row: the kinds
 * ({@link dev.labelflight.engine.labelmodel.ModelKind}: majority, weighted majority, Dawid-Skene, generative,
 * Snorkel's matrix-completion model, triplet), fitted in shared passes over label chunks
 * ({@link dev.labelflight.engine.labelmodel.ModelFitter}), chosen automatically by dev gold or an unsupervised
 * rule ({@link dev.labelflight.engine.labelmodel.ModelSelection}), with fit reports, diagnostics and tie policies.
 * Stored artifacts live in the {@code artifact} subpackage.
 */
package dev.labelflight.engine.labelmodel;
