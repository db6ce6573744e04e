/**
 * A job's label matrix as its readers see it: the finished label chunks in row order
 * ({@link dev.labelflight.verticles.labels.JobLabelChunks}: as a back-pressured RxJava {@code Flowable}
 * while the job runs, or all of them once it ended) and the error of a job that ended without them
 * ({@link dev.labelflight.verticles.labels.JobEndedException}).
 */
package dev.labelflight.verticles.labels;
