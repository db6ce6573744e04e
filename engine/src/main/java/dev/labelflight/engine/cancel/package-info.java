/**
 * Stopping work early: {@link dev.labelflight.engine.cancel.CancelToken}, which the owner of a job or
 * task cancels and every evaluator of user-supplied logic checks every few milliseconds of work.
 */
package dev.labelflight.engine.cancel;
