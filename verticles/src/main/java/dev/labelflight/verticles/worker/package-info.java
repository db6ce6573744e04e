/**
 * The {@link dev.labelflight.verticles.worker.ChunkWorker} (a worker verticle that labels one chunk at a
 * time, under a reservation, with the job's cancel token bound to its thread) and its messages: the
 * {@link dev.labelflight.verticles.worker.ChunkTask} it takes, the {@link dev.labelflight.verticles.worker.ChunkOutcome}
 * and {@link dev.labelflight.verticles.worker.ChunkReport} it answers with.
 */
package dev.labelflight.verticles.worker;
