package dev.labelflight.cluster;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.labelflight.cluster.memory.HazelcastMemoryPool;
import dev.labelflight.engine.memory.LocalMemoryPool;
import dev.labelflight.engine.memory.MemoryBudget;
import dev.labelflight.engine.memory.MemoryPool;
import dev.labelflight.engine.memory.PooledMemoryBudget;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;
import java.util.UUID;

/**
 * This node's Hazelcast member and memory pool. Standalone, it is a single embedded member that joins
 * nobody (its cluster name is unique) and the pool is counted in-process ({@link LocalMemoryPool});
 * clustered, it joins the loopback TCP-IP members, backs the Vert.x cluster manager, and the pool is this
 * node's entry in the cluster's pool map ({@link HazelcastMemoryPool}), so every node sees every node's
 * free memory and a dead node's holdings come back.
 */
public final class ClusterNode implements AutoCloseable {
  private final String nodeId;
  private final HazelcastInstance hazelcast;
  private final MemoryPool pool;
  private final MemoryBudget budget;
  private final HazelcastDirectory directory;
  private final boolean clustered;

  private ClusterNode(HazelcastInstance hazelcast, MemoryPool pool, HazelcastDirectory directory, boolean clustered) {
    this.nodeId = directory.localNode();
    this.hazelcast = hazelcast;
    this.pool = pool;
    this.budget = new PooledMemoryBudget(pool);
    this.directory = directory;
    this.clustered = clustered;
  }

  /**
   * Starts the member and creates the memory pool. Blocking (seconds): call off the event loop.
   *
   * The node id is a new UUID, also the Vert.x cluster node id (a member attribute).
   *
   * @param members empty for a standalone node
   */
  public static ClusterNode start(String clusterName, int port, List<String> members, long budgetBytes) {
    boolean clustered = !members.isEmpty();
    String nodeId = UUID.randomUUID().toString();
    String name = clustered ? clusterName : clusterName + "-standalone-" + nodeId;
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(LoopbackHazelcastConfig.build(name, port, members, nodeId));
    try {
      HazelcastDirectory directory = new HazelcastDirectory(hz, clustered);
      MemoryPool pool = clustered ? HazelcastMemoryPool.create(hz, directory.localNode(), budgetBytes)
          : new LocalMemoryPool(directory.localNode(), budgetBytes);
      return new ClusterNode(hz, pool, directory, clustered);
    } catch (RuntimeException e) {
      hz.shutdown();
      throw e;
    }
  }

  public String nodeId() {
    return nodeId;
  }

  /**
   * This node's memory pool: reach the budget only through its reservations. Clustered, its reservation
   * calls block on Hazelcast (see {@link HazelcastMemoryPool}); its free and reserved bytes never block.
   */
  public MemoryPool memoryPool() {
    return pool;
  }

  /** The old budget calls over {@link #memoryPool()}, until the verticles use reservations. */
  @Deprecated
  public MemoryBudget budget() {
    return budget;
  }

  /** Live nodes and dataset owners. */
  public ClusterDirectory directory() {
    return directory;
  }

  /**
   * The credential nodes present to each other's Flight endpoints: {@code configured} if set (every node
   * must then have the same), else a random one the first node puts in the cluster's shared map. Anyone
   * who can join the Hazelcast cluster can read it; membership is loopback-only, the same trust boundary
   * as the nodes' memory. Blocking.
   */
  public String nodeSecret(String configured) {
    if (configured != null && !configured.isEmpty()) {
      return configured;
    }
    byte[] random = new byte[32];
    new java.security.SecureRandom().nextBytes(random);
    String mine = java.util.HexFormat.of().formatHex(random);
    String shared = hazelcast.<String, String>getMap("labelflight.cluster").putIfAbsent("nodeSecret", mine);
    return shared == null ? mine : shared;
  }

  /** How many members this one sees (itself included); a local read, safe on an event loop. */
  public int members() {
    return hazelcast.getCluster().getMembers().size();
  }

  public boolean clustered() {
    return clustered;
  }

  /** A Vert.x cluster manager over this member (clustered nodes only). */
  public ClusterManager clusterManager() {
    return new HazelcastClusterManager(hazelcast);
  }

  /**
   * Free bytes of a node's memory pool (for placing resident datasets): this node's from its pool, another
   * node's from the pool map (0 if that node is gone). Blocking for another node.
   */
  public long freeBytesOf(String otherNodeId) {
    if (directory.isLocal(otherNodeId)) {
      return pool.freeBytes();
    }
    if (!clustered) {
      return 0;
    }
    return HazelcastMemoryPool.usage(hazelcast, otherNodeId).map(HazelcastMemoryPool.PoolUsage::freeBytes).orElse(0L);
  }

  /** Every live node's pool: size and reserved bytes. Blocking when clustered. */
  public List<HazelcastMemoryPool.PoolUsage> memoryPools() {
    return clustered ? HazelcastMemoryPool.usages(hazelcast)
        : List.of(new HazelcastMemoryPool.PoolUsage(nodeId, pool.maxBytes(), pool.reservedBytes()));
  }

  @Override
  public void close() {
    if (pool instanceof HazelcastMemoryPool shared) {
      shared.close();
    }
    hazelcast.shutdown();
  }
}
