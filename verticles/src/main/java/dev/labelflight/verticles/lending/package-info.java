/**
 * Chunk tasks lent between nodes ({@link dev.labelflight.verticles.lending.ChunkLending}): a lender lends
 * queued tasks to a borrower with idle workers under a lease; the borrower sends each outcome back as a
 * binary {@link dev.labelflight.verticles.lending.LentChunkOutcome} whose label columns are Arrow IPC
 * ({@link dev.labelflight.verticles.lending.LabelColumns}), never JSON; a stopping job's lent tasks are
 * stopped on their borrowers ({@link dev.labelflight.verticles.lending.StopJob}). Event-loop confined,
 * except the records.
 */
package dev.labelflight.verticles.lending;
