/**
 * A job's results as Arrow streams, in row order while the job runs: {@code labels/JOB} (dense, or
 * {@code ?layout=sparse}), a fitted label model's {@code probs/JOB/MODEL} and {@code preds/JOB/MODEL},
 * and GetFlightInfo {@code ["labels", JOB]}. Served on the job's node.
 */
package dev.labelflight.flight.results;
