package dev.labelflight.cluster;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.labelflight.cluster.memory.HazelcastMemoryPool;
import dev.labelflight.engine.memory.LocalMemoryPool;
import dev.labelflight.engine.memory.MemoryPool;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;
import java.util.UUID;

/**
 * This node's Hazelcast member and memory pool. Standalone, it is a single embedded member that joins
 * nobody (its cluster name comes from a random secret) and the pool is counted in-process
 * ({@link LocalMemoryPool}); clustered, it joins the loopback TCP-IP members whose cluster name comes from
 * the same {@link ClusterSecret}, backs the Vert.x cluster manager, and the pool is this node's entry in the
 * cluster's pool map ({@link HazelcastMemoryPool}), so every node sees every node's free memory and a dead
 * node's holdings come back. Nothing in the cluster's maps is a credential: nodes derive theirs from the
 * secret they hold.
 */
public final class ClusterNode implements AutoCloseable {
  private final String nodeId;
  private final HazelcastInstance hazelcast;
  private final MemoryPool pool;
  private final HazelcastDirectory directory;
  private final boolean clustered;
  private final ClusterSecret secret;

  private ClusterNode(HazelcastInstance hazelcast, MemoryPool pool, HazelcastDirectory directory, boolean clustered,
      ClusterSecret secret) {
    this.nodeId = directory.localNode();
    this.hazelcast = hazelcast;
    this.pool = pool;
    this.directory = directory;
    this.clustered = clustered;
    this.secret = secret;
  }

  /** {@link #start(String, ClusterSecret, int, List, long)} with a random secret: a node no other process can join. */
  public static ClusterNode start(String clusterName, int port, List<String> members, long budgetBytes) {
    return start(clusterName, ClusterSecret.random(), port, members, budgetBytes);
  }

  /**
   * Starts the member and creates the memory pool. Blocking (seconds): call off the event loop.
   *
   * The node id is a new UUID, also the Vert.x cluster node id (a member attribute).
   *
   * @param clusterName the cluster's name in configuration; the Hazelcast cluster name is derived from it
   *     and {@code secret} ({@link ClusterSecret#clusterName})
   * @param secret what every node of the cluster holds (a random one for a standalone node)
   * @param members empty for a standalone node
   */
  public static ClusterNode start(String clusterName, ClusterSecret secret, int port, List<String> members,
      long budgetBytes) {
    boolean clustered = !members.isEmpty();
    String nodeId = UUID.randomUUID().toString();
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(
        LoopbackHazelcastConfig.build(secret.clusterName(clusterName), port, members, nodeId));
    try {
      HazelcastDirectory directory = new HazelcastDirectory(hz, clustered);
      MemoryPool pool = clustered ? HazelcastMemoryPool.create(hz, directory.localNode(), budgetBytes)
          : new LocalMemoryPool(directory.localNode(), budgetBytes);
      return new ClusterNode(hz, pool, directory, clustered, secret);
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

  /** Live nodes and dataset homes. */
  public ClusterDirectory directory() {
    return directory;
  }

  /**
   * The credential nodes present to each other's Flight endpoints, derived from the cluster's secret: every
   * node computes the same, and it is never stored or shared through Hazelcast.
   */
  public String nodeCredential() {
    return secret.nodeCredential();
  }

  /**
   * Adds {@link EventBusCredential}'s interceptors to a Vert.x clustered over this member (before anything
   * registers a consumer).
   */
  public EventBusCredential guard(io.vertx.core.Vertx vertx) {
    return EventBusCredential.install(vertx, secret);
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
