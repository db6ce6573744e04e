package dev.labelflight.verticles.dispatch;

import dev.labelflight.verticles.job.Job;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Chunk tasks handed out round-robin: first across users, then across each user's jobs, so that a small
 * job (of any user) gets a turn at every round instead of waiting behind a large one. A job's tasks are
 * its {@link Job#pending()} chunks; jobs that ended or stop are skipped. Event-loop only.
 */
public final class FairQueue {
  /** One chunk task. */
  public record Task(Job job, int chunk) {}

  private final Map<String, ArrayDeque<Job>> byUser = new LinkedHashMap<>();
  private final ArrayDeque<String> turns = new ArrayDeque<>();

  public void add(Job job) {
    ArrayDeque<Job> jobs = byUser.get(job.user());
    if (jobs == null) {
      jobs = new ArrayDeque<>();
      byUser.put(job.user(), jobs);
      turns.add(job.user());
    }
    if (!jobs.contains(job)) {
      jobs.add(job);
    }
  }

  /** Puts a chunk back in front (its worker went away before taking it, or handed it back). */
  public void retry(Job job, int chunk) {
    job.pending().addFirst(chunk);
    add(job);
  }

  /** Whether no task waits (jobs that ended, stop or ran out of chunks do not count). */
  public boolean isEmpty() {
    for (ArrayDeque<Job> jobs : byUser.values()) {
      for (Job job : jobs) {
        if (job.isRunnable() && !job.pending().isEmpty()) {
          return false;
        }
      }
    }
    return true;
  }

  /** The next task in fair order, or null if none. */
  public Task next() {
    while (!turns.isEmpty()) {
      String user = turns.poll();
      ArrayDeque<Job> jobs = byUser.get(user);
      Job job = null;
      while (!jobs.isEmpty() && job == null) {
        Job head = jobs.poll();
        if (head.isRunnable() && !head.pending().isEmpty()) {
          job = head;
        }
      }
      if (job == null) {
        byUser.remove(user);
        continue;
      }
      int chunk = job.pending().poll();
      if (!job.pending().isEmpty()) {
        jobs.add(job);
      }
      if (jobs.isEmpty()) {
        byUser.remove(user);
      } else {
        turns.add(user);
      }
      return new Task(job, chunk);
    }
    return null;
  }
}
