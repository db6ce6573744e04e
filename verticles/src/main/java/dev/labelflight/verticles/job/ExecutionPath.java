package dev.labelflight.verticles.job;

import java.util.Locale;

/** Where a job's chunks run: not decided yet, the task queue, or a resident copy (here or on another node). */
public enum ExecutionPath {
  PENDING, QUEUE, RESIDENT;

  /** {@code pending}, {@code queue} or {@code resident}, as {@code job_status} and the metrics show it. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
