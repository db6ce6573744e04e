/**
 * Jobs of this node: the {@link dev.labelflight.verticles.job.JobCoordinator} verticle (the job API on the
 * event bus, wired to the parts that do the work), the {@link dev.labelflight.verticles.job.JobRegistry}
 * (state, progress, cancel, timeouts: a job ends only once its running work has stopped), the
 * {@link dev.labelflight.verticles.job.Job} itself, its {@link dev.labelflight.verticles.job.JobState} and
 * {@link dev.labelflight.verticles.job.ExecutionPath}, the job API's request records, and job ids.
 * Event-loop confined (the coordinator's context), except the records.
 */
package dev.labelflight.verticles.job;
