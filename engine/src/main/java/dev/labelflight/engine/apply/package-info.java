/**
 * Applying a job's LFs to a dataset version: the apply request as parsed once at the edge
 * ({@link dev.labelflight.engine.apply.ApplyRequest}), the execution mode a user asks for, the chunk labeler that
 * reads a chunk, takes cached label columns and computes the missing ones, and the per-job label store.
 */
package dev.labelflight.engine.apply;
