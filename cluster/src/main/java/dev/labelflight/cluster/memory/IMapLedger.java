package dev.labelflight.cluster.memory;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.memory.MemoryLedger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The {@link MemoryLedger} of one node's pool: its entry in the {@link HazelcastMemoryPool#MAP} IMap,
 * changed by {@link PoolOps} entry processors on behalf of this member (holdings are recorded under this
 * member's UUID, their ids prefixed by this pool object's number). Growth, shrinking and
 * {@link #bytesByHolder} call Hazelcast and block; the pool's size and reserved bytes are read from the
 * newest state this member has seen (a processor's reply or an entry event), so they never block.
 */
final class IMapLedger implements MemoryLedger {
  /** The high bits of a recorded reservation id name the pool object (a member may open several on one pool). */
  static final long PREFIX_MASK = -1L << 40;
  private static final AtomicLong POOL_OBJECTS = new AtomicLong();

  /** The pool's numbers as last seen; replaced only by a newer version. */
  private record Seen(long version, long reservedBytes) {}

  private final HazelcastInstance hazelcast;
  private final IMap<String, PoolEntry> map;
  private final String node;
  private final long maxBytes;
  private final boolean home;
  private final long prefix = POOL_OBJECTS.incrementAndGet() << 40;
  private final AtomicReference<Seen> seen = new AtomicReference<>(new Seen(Long.MIN_VALUE, 0));
  /** Runs an action with the pool's open holdings, under the pool's lock (set once the pool exists). */
  private volatile Consumer<Consumer<List<Holding>>> holdings = action -> action.accept(List.of());
  /** The member UUID this member's holdings are recorded under (it changes when a member merges back). */
  private volatile String recordedAs;

  IMapLedger(HazelcastInstance hazelcast, IMap<String, PoolEntry> map, String node, long maxBytes, boolean home) {
    this.hazelcast = hazelcast;
    this.map = map;
    this.node = node;
    this.maxBytes = maxBytes;
    this.home = home;
    this.recordedAs = member();
  }

  void bindHoldings(Consumer<Consumer<List<Holding>>> holdings) {
    this.holdings = holdings;
  }

  String member() {
    return hazelcast.getCluster().getLocalMember().getUuid().toString();
  }

  @Override
  public long maxBytes() {
    return maxBytes;
  }

  @Override
  public long reservedBytes() {
    return seen.get().reservedBytes();
  }

  @Override
  public boolean tryGrow(long id, String holder, long bytes) {
    PoolOps.Reply reply = invoke(member -> new PoolOps.Grow(member, prefix | id, holder, bytes));
    if (reply.status == PoolOps.Reply.Status.MISSING) {
      throw new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE,
          "the memory budget of node " + node + " is gone (the node left the cluster)");
    }
    return reply.status == PoolOps.Reply.Status.GRANTED;
  }

  @Override
  public void shrink(long id, String holder, long bytes) {
    invoke(member -> new PoolOps.Shrink(member, prefix | id, holder, bytes)); // a pool that is gone holds nothing
  }

  @Override
  public Map<String, Long> bytesByHolder() {
    PoolEntry entry = map.get(node);
    Map<String, Long> out = new LinkedHashMap<>();
    if (entry != null) {
      observe(entry.version(), entry.reservedBytes());
      entry.holdings().forEach(h -> out.merge(h.holder(), h.bytes(), Long::sum));
    }
    return out;
  }

  /**
   * Runs a change for this member. Records the member's holdings again first if its UUID changed, and
   * after a MISSING reply if this is the home pool (its entry was dropped while it lived), then retries.
   */
  private PoolOps.Reply invoke(Function<String, EntryProcessor<String, PoolEntry, PoolOps.Reply>> change) {
    String member = member();
    if (!member.equals(recordedAs)) {
      restore();
    }
    PoolOps.Reply reply = map.executeOnKey(node, change.apply(member));
    if (reply.status == PoolOps.Reply.Status.MISSING && home) {
      restore();
      reply = map.executeOnKey(node, change.apply(member));
    }
    observe(reply);
    return reply;
  }

  /** Records this member's open holdings again (all of them, replacing what the entry says of them). */
  void restore() {
    holdings.accept(list -> {
      String member = member();
      String previous = member.equals(recordedAs) ? null : recordedAs;
      List<Holding> recorded = list.stream().map(h -> new Holding(prefix | h.id(), h.holder(), h.bytes())).toList();
      PoolOps.Reply reply = map.executeOnKey(node,
          new PoolOps.Restore(member, previous, prefix, maxBytes, home, recorded));
      observe(reply);
      if (reply.status != PoolOps.Reply.Status.MISSING) {
        recordedAs = member;
      }
    });
  }

  void observe(PoolOps.Reply reply) {
    if (reply.status != PoolOps.Reply.Status.MISSING) {
      observe(reply.version, reply.reservedBytes);
    }
  }

  void observe(long version, long reservedBytes) {
    seen.accumulateAndGet(new Seen(version, reservedBytes), (old, now) -> now.version() > old.version() ? now : old);
  }

  /** The entry is gone (its node left): nothing of it is free any more, as far as this member knows. */
  void observeGone() {
    Seen last = seen.get();
    observe(last.version() + 1, maxBytes);
  }
}
