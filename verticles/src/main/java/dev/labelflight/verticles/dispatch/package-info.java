/**
 * Chunk tasks to this node's workers: the {@link dev.labelflight.verticles.dispatch.TaskDispatcher}
 * (credit-based pull, retries when a worker is gone or hands a task back) in the fair order of the
 * {@link dev.labelflight.verticles.dispatch.FairQueue} (across users, then jobs). Event-loop confined.
 */
package dev.labelflight.verticles.dispatch;
