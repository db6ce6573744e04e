package dev.labelflight.flight.stream;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Detail;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The DoGet streams open on this node: at most {@code maxPerUser} per user ({@code flight.maxStreamsPerUser})
 * and {@code maxTotal} in all (beyond either, RESOURCE_EXHAUSTED naming the limit, at once), and a sweep that
 * fails streams whose client took nothing for {@code stallMs} ({@code flight.streamStallMs}). Node-to-node
 * streams are not counted per user. Thread-safe.
 */
public final class OpenStreams implements AutoCloseable {
  /** The user of calls that carry none (authentication off, or another node's own calls). */
  private static final String NO_USER = "";

  private final int maxPerUser;
  private final int maxTotal;
  private final long stallMs;
  private final Map<String, AtomicInteger> perUser = new ConcurrentHashMap<>();
  private final AtomicInteger total = new AtomicInteger();
  private final Set<FlightSink<?>> watched = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService sweeper;

  public OpenStreams(int maxPerUser, int maxTotal, long stallMs) {
    if (maxPerUser < 1 || maxTotal < 1 || stallMs < 1) {
      throw new IllegalArgumentException("stream limits must be positive: " + maxPerUser + ", " + maxTotal + ", " + stallMs);
    }
    this.maxPerUser = maxPerUser;
    this.maxTotal = maxTotal;
    this.stallMs = stallMs;
    this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "flight-stream-stall");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(10, Math.min(1_000, stallMs / 4));
    sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
  }

  /** The most streams this node serves at once. */
  public int maxTotal() {
    return maxTotal;
  }

  /**
   * A slot for a new stream of {@code user} ({@code counted}: a user's stream; else a node's); RESOURCE_EXHAUSTED
   * naming the limit if the user or the node has as many open as allowed.
   */
  public Slot open(String user, boolean counted) {
    if (total.incrementAndGet() > maxTotal) {
      total.decrementAndGet();
      throw LabelFlightException.exhausted("this node serves " + maxTotal + " streams at once (flight.streamThreads"
          + " + flight.streamQueue); retry when some have ended")
          .withDetail(Detail.LIMIT, maxTotal);
    }
    AtomicInteger mine = null;
    if (counted) {
      mine = perUser.computeIfAbsent(user == null ? NO_USER : user, u -> new AtomicInteger());
      if (mine.incrementAndGet() > maxPerUser) {
        mine.decrementAndGet();
        total.decrementAndGet();
        throw LabelFlightException.exhausted("at most " + maxPerUser + " streams open per user"
            + " (flight.maxStreamsPerUser); read or close the ones you have open")
            .withDetail(Detail.LIMIT, maxPerUser);
      }
    }
    return new Slot(mine);
  }

  /** Streams open now (for tests and metrics). */
  public int open() {
    return total.get();
  }

  /** Open streams that wait for their client to take more (for tests and metrics). */
  public int waitingForClients() {
    int n = 0;
    for (FlightSink<?> sink : watched) {
      n += sink.waitingForClient() ? 1 : 0;
    }
    return n;
  }

  private void sweep() {
    long now = System.nanoTime();
    long stallNanos = TimeUnit.MILLISECONDS.toNanos(stallMs);
    for (FlightSink<?> sink : watched) {
      sink.checkStall(now, stallNanos, stallMs);
    }
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
  }

  /** One open stream's place; {@link #close()} gives it back (once). */
  public final class Slot implements AutoCloseable {
    private final AtomicInteger user;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile FlightSink<?> sink;

    private Slot(AtomicInteger user) {
      this.user = user;
    }

    /** Watches the stream's sink for stalls until the slot is closed. */
    public void watch(FlightSink<?> sink) {
      this.sink = sink;
      watched.add(sink);
      if (closed.get()) {
        watched.remove(sink);
      }
    }

    @Override
    public void close() {
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      FlightSink<?> s = sink;
      if (s != null) {
        watched.remove(s);
      }
      if (user != null) {
        user.decrementAndGet();
      }
      total.decrementAndGet();
    }
  }
}
