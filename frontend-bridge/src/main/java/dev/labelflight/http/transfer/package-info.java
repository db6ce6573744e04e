/**
 * Files in and out of the browser over HTTP (the event bus carries no bulk data): {@code POST
 * /api/upload/NAME} streams a CSV or Arrow IPC body into the store through a bounded pipe
 * ({@link dev.labelflight.http.transfer.UploadRoute}, {@link dev.labelflight.http.transfer.BodyPipe});
 * {@code GET /api/export/...} streams a job's label matrix, a label model's predictions or the dev set as CSV,
 * chunk by chunk at the client's pace ({@link dev.labelflight.http.transfer.ExportRoute}). Both need the
 * user's bearer token and act in the user's namespace; the work runs on worker threads under budget
 * reservations ({@link dev.labelflight.http.transfer.BudgetHold}).
 */
package dev.labelflight.http.transfer;
