package dev.labelflight.cluster.memory;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.memory.LedgerMemoryPool;
import dev.labelflight.engine.memory.MemoryPool;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's {@link MemoryPool} kept in Hazelcast structures that the Community edition has (no CP
 * subsystem): one entry per node in the IMap {@value #MAP}, key the node id, value a {@link PoolEntry}
 * (size, home member, every holding by member UUID and reservation id). Reservations grow through an
 * entry processor that checks and records in one step on the key's partition ({@link PoolOps.Grow}), so
 * members that reserve from the same pool at once never over-commit it.
 *
 * <p>{@link #create} opens the pool of this member's node; {@link #attach} opens a handle through which
 * this member reserves from another node's pool (its holdings count there, under this member's UUID).
 * Any member reads any pool with {@link #usage}/{@link #usages}. Admission (FIFO waiters, bounded waits,
 * CANCELLED on close) is {@link LedgerMemoryPool}'s; waiters are per pool object, and a waiter is tried
 * again whenever the entry changes (an entry listener), including changes made by other members.
 *
 * <p>When a member leaves the cluster, shutdown or kill -9 alike, every home pool's membership listener
 * runs {@link PoolOps.DropMember} over the map: the member's holdings in every pool are dropped (their
 * bytes come back, and waiters are served) and its own pool's entry is removed. Hazelcast reports the
 * member gone after its heartbeat timeout at the latest. A member taken for dead while it lived (a long
 * pause, then a merge) records its open reservations again ({@link PoolOps.Restore}).
 *
 * <p>Blocking: {@link #create}, {@link #attach}, {@link #usage}, {@link #usages}, {@link #close},
 * {@link #reservationsByHolder} and, on its reservations, {@code trySetBytes}, {@code setBytes} (when it
 * admits at once), shrinking and {@code close} call Hazelcast: run them on worker threads, never on an
 * event loop. {@code name}, {@code maxBytes}, {@code reservedBytes}, {@code freeBytes} and
 * {@code Reservation.bytes} read what this member last saw and never block. The class does not configure
 * Hazelcast: it works on whatever instance it is given.
 */
public final class HazelcastMemoryPool extends LedgerMemoryPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastMemoryPool.class);
  /** The IMap of every node's pool (key: node id). */
  public static final String MAP = "labelflight.memory";

  /** One pool's numbers, as read from the map. */
  public record PoolUsage(String node, long maxBytes, long reservedBytes) {
    public long freeBytes() {
      return Math.max(0, maxBytes - reservedBytes);
    }
  }

  private final HazelcastInstance hazelcast;
  private final IMap<String, PoolEntry> map;
  private final IMapLedger ledger;
  private final ExecutorService serving;
  private final boolean home;
  private final List<Runnable> unregister = new ArrayList<>();

  private HazelcastMemoryPool(HazelcastInstance hazelcast, String node, IMapLedger ledger, ExecutorService serving,
      boolean home) {
    super(node, ledger, serving);
    this.hazelcast = hazelcast;
    this.map = hazelcast.getMap(MAP);
    this.ledger = ledger;
    this.serving = serving;
    this.home = home;
    ledger.bindHoldings(this::withHoldings);
  }

  /**
   * Opens the pool of this member's node {@code node}, {@code maxBytes} in size. Fails if another
   * member's pool has that node id. Blocking.
   */
  public static HazelcastMemoryPool create(HazelcastInstance hazelcast, String node, long maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("memory budget must be positive: " + maxBytes + " bytes");
    }
    IMap<String, PoolEntry> map = hazelcast.getMap(MAP);
    String member = hazelcast.getCluster().getLocalMember().getUuid().toString();
    PoolOps.Reply reply = map.executeOnKey(node, new PoolOps.Open(member, maxBytes));
    if (reply.status == PoolOps.Reply.Status.TAKEN) {
      throw new IllegalStateException("the memory budget of node " + node + " belongs to member " + reply.home
          + "; is another node running with id " + node + "?");
    }
    HazelcastMemoryPool pool = new HazelcastMemoryPool(hazelcast, node,
        new IMapLedger(hazelcast, map, node, reply.maxBytes, true), serving(node), true);
    pool.ledger.observe(reply);
    pool.listen();
    return pool;
  }

  /**
   * Opens a handle on node {@code node}'s pool through which this member reserves from it (for work this
   * member does with that node's memory). NOT_FOUND if the node has no pool. Blocking.
   */
  public static HazelcastMemoryPool attach(HazelcastInstance hazelcast, String node) {
    IMap<String, PoolEntry> map = hazelcast.getMap(MAP);
    PoolEntry entry = map.get(node);
    if (entry == null || !live(hazelcast).contains(entry.home())) {
      throw LabelFlightException.notFound("node " + node + " has no memory budget in this cluster");
    }
    HazelcastMemoryPool pool = new HazelcastMemoryPool(hazelcast, node,
        new IMapLedger(hazelcast, map, node, entry.maxBytes(), false), serving(node), false);
    pool.ledger.observe(entry.version(), entry.reservedBytes());
    pool.listen();
    return pool;
  }

  /** Node {@code node}'s pool as the map holds it now; empty if the node is not a live member's. Blocking. */
  public static Optional<PoolUsage> usage(HazelcastInstance hazelcast, String node) {
    PoolEntry entry = hazelcast.<String, PoolEntry>getMap(MAP).get(node);
    if (entry == null || !live(hazelcast).contains(entry.home())) {
      return Optional.empty();
    }
    return Optional.of(new PoolUsage(node, entry.maxBytes(), entry.reservedBytes()));
  }

  /** Every live node's pool. Blocking. */
  public static List<PoolUsage> usages(HazelcastInstance hazelcast) {
    Set<String> live = live(hazelcast);
    List<PoolUsage> out = new ArrayList<>();
    hazelcast.<String, PoolEntry>getMap(MAP).forEach((node, entry) -> {
      if (live.contains(entry.home())) {
        out.add(new PoolUsage(node, entry.maxBytes(), entry.reservedBytes()));
      }
    });
    return out;
  }

  private static Set<String> live(HazelcastInstance hazelcast) {
    return hazelcast.getCluster().getMembers().stream().map(m -> m.getUuid().toString()).collect(Collectors.toSet());
  }

  private static ExecutorService serving(String node) {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "memory-pool " + node);
      t.setDaemon(true);
      return t;
    });
  }

  /** Entry events (any member's change) serve the waiters; a home pool also cleans up after leavers. */
  private void listen() {
    UUID entries = map.addEntryListener(new EntryChanges(), name(), true);
    unregister.add(() -> map.removeEntryListener(entries));
    if (home) {
      UUID members = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
        @Override
        public void memberAdded(MembershipEvent event) {
        }

        @Override
        public void memberRemoved(MembershipEvent event) {
          dropHoldingsOf(event.getMember());
        }
      });
      unregister.add(() -> hazelcast.getCluster().removeMembershipListener(members));
    }
    UUID lifecycle = hazelcast.getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
        // Taken for dead and merged back: the others dropped this member's holdings (and home pool).
        serving.execute(this::restore);
      } else if (event.getState() == LifecycleEvent.LifecycleState.SHUTTING_DOWN) {
        shutDown(new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE, "node is shutting down"));
      }
    });
    unregister.add(() -> hazelcast.getLifecycleService().removeLifecycleListener(lifecycle));
  }

  private void dropHoldingsOf(Member gone) {
    serving.execute(() -> {
      try {
        map.executeOnEntries(new PoolOps.DropMember(gone.getUuid().toString()));
        LOG.info("memory budget: holdings of member {} ({}) dropped", gone.getUuid(), gone.getAddress());
      } catch (RuntimeException e) {
        LOG.warn("memory budget: holdings of member {} not dropped: {}", gone.getUuid(), e.toString());
      }
    });
  }

  private void restore() {
    try {
      ledger.restore();
      ledgerChanged();
    } catch (RuntimeException e) {
      LOG.warn("memory budget {}: holdings not recorded again after a merge: {}", name(), e.toString());
    }
  }

  private final class EntryChanges implements EntryAddedListener<String, PoolEntry>,
      EntryUpdatedListener<String, PoolEntry>, EntryRemovedListener<String, PoolEntry> {
    @Override
    public void entryAdded(EntryEvent<String, PoolEntry> event) {
      changed(event.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, PoolEntry> event) {
      changed(event.getValue());
    }

    @Override
    public void entryRemoved(EntryEvent<String, PoolEntry> event) {
      if (!home) {
        ledger.observeGone();
        ledgerChanged(); // waiters fail: the pool is gone
      }
    }

    private void changed(PoolEntry entry) {
      if (entry != null) {
        ledger.observe(entry.version(), entry.reservedBytes());
      }
      ledgerChanged();
    }
  }

  /**
   * Stops listening and fails this pool object's waiters with UNAVAILABLE; reservations still open keep
   * their bytes until they are closed or this member leaves. Blocking.
   */
  @Override
  public void close() {
    shutDown(new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE, "node is shutting down"));
    for (Runnable r : unregister) {
      try {
        r.run();
      } catch (RuntimeException e) {
        LOG.debug("memory budget {}: listener not removed: {}", name(), e.toString());
      }
    }
    serving.shutdown();
  }
}
