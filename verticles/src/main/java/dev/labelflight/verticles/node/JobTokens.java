package dev.labelflight.verticles.node;

import dev.labelflight.engine.cancel.CancelToken;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@link CancelToken} of every job whose work runs on this node, by job id: the job registry opens
 * the token of a job of this node for the job's life; a chunk worker or a resident copy opens the token
 * of the job whose chunk it runs (a job of another node, for a borrowed task, gets its token here on
 * first use) and closes it when the chunk is done. Cancelling a job cancels its token, so every chunk of
 * it running here stops at its next check; a cancel that arrives before the job's first task here is
 * remembered (a bounded number of ids) so that the task does not start. Thread-safe.
 */
public final class JobTokens {
  private static final int REMEMBERED = 4_096;

  private final Map<String, Entry> open = new LinkedHashMap<>();
  /** Jobs cancelled while nothing of theirs ran here, oldest first. */
  private final Map<String, CancelToken> cancelled = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, CancelToken> eldest) {
      return size() > REMEMBERED;
    }
  };

  private static final class Entry {
    final CancelToken token;
    int users;

    Entry(CancelToken token) {
      this.token = token;
    }
  }

  /** The job's token (created if none is open), held until a matching {@link #close}. */
  public synchronized CancelToken open(String job) {
    Entry e = open.get(job);
    if (e == null) {
      CancelToken remembered = cancelled.remove(job);
      e = new Entry(remembered != null ? remembered : CancelToken.create());
      open.put(job, e);
    }
    e.users++;
    return e.token;
  }

  /** Ends one {@link #open}; the token is forgotten when nobody holds it. */
  public synchronized void close(String job) {
    Entry e = open.get(job);
    if (e != null && --e.users <= 0) {
      open.remove(job);
      if (e.token.isCancelled()) {
        cancelled.put(job, e.token);
      }
    }
  }

  /**
   * Stops the job's work on this node for {@code why}; the first reason wins. Returns whether some work
   * of the job held its token here.
   */
  public synchronized boolean cancel(String job, CancelToken.Reason why, String detail) {
    Entry e = open.get(job);
    if (e != null) {
      e.token.cancel(why, detail);
      return true;
    }
    CancelToken token = cancelled.computeIfAbsent(job, k -> CancelToken.create());
    token.cancel(why, detail);
    return false;
  }

  /** Stops every job's work on this node (the node shuts down); returns how many jobs had work here. */
  public synchronized int cancelAll(CancelToken.Reason why, String detail) {
    open.values().forEach(e -> e.token.cancel(why, detail));
    return open.size();
  }

  /** Whether the job's work must stop (its token, open or remembered, is cancelled). */
  public synchronized boolean isCancelled(String job) {
    Entry e = open.get(job);
    if (e != null) {
      return e.token.isCancelled();
    }
    CancelToken remembered = cancelled.get(job);
    return remembered != null && remembered.isCancelled();
  }

  /** Forgets a job altogether (its registry dropped it). */
  public synchronized void forget(String job) {
    open.remove(job);
    cancelled.remove(job);
  }

  /** Job ids with open tokens, for diagnostics. */
  public synchronized int openCount() {
    return open.size();
  }
}
