/**
 * A job's label matrix as analysis and label models read it: chunks of votes copied off Arrow
 * ({@code LabelChunk}), the class each LF of a multi-label job votes on ({@code LfClasses}), the sparse vote
 * stream ({@code SparseVotes}), and row selections of a subset of the matrix ({@code RowSelection}: JSON
 * {@code RowRanges} or an uploaded {@code RowBitmap}).
 */
package dev.labelflight.engine.labelmatrix;
