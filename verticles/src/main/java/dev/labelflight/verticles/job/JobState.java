package dev.labelflight.verticles.job;

/**
 * Where a job is in its life. {@link #RUNNING} until its work has ended: a job asked to stop (cancel,
 * timeout, a dropped dataset, shutdown) stays RUNNING, with {@code stopping} in its status, until its
 * running chunks have returned; only then is it {@link #CANCELLED} or {@link #FAILED}.
 */
public enum JobState {
  RUNNING, SUCCEEDED, FAILED, CANCELLED;

  public boolean isTerminal() {
    return this != RUNNING;
  }
}
