package dev.labelflight.cluster;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.labelflight.engine.memory.LocalMemoryPool;
import dev.labelflight.engine.memory.MemoryPool;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;
import java.util.UUID;

/**
 * This node's Hazelcast member and memory budget. Standalone, it is a single embedded member that joins
 * nobody (its cluster name comes from a random secret); clustered, it joins the loopback TCP-IP members
 * whose cluster name comes from the same {@link ClusterSecret}, and also backs the Vert.x cluster manager.
 * Either way the budget is the same CP semaphore, so one code path serves both. Nothing in the cluster's
 * maps is a credential: nodes derive theirs from the secret they hold.
 */
public final class ClusterNode implements AutoCloseable {
  private final String nodeId;
  private final HazelcastInstance hazelcast;
  private final HazelcastMemoryBudget budget;
  private final HazelcastDirectory directory;
  private final boolean clustered;
  private final ClusterSecret secret;
  private final MemoryPool memoryPool;

  private ClusterNode(HazelcastInstance hazelcast, HazelcastMemoryBudget budget, HazelcastDirectory directory,
      boolean clustered, ClusterSecret secret, long budgetBytes) {
    this.nodeId = directory.localNode();
    this.hazelcast = hazelcast;
    this.budget = budget;
    this.directory = directory;
    this.clustered = clustered;
    this.secret = secret;
    this.memoryPool = new LocalMemoryPool(nodeId, budgetBytes);
  }

  /** {@link #start(String, ClusterSecret, int, List, long)} with a random secret: a node no other process can join. */
  public static ClusterNode start(String clusterName, int port, List<String> members, long budgetBytes) {
    return start(clusterName, ClusterSecret.random(), port, members, budgetBytes);
  }

  /**
   * Starts the member and creates the budget. Blocking (seconds): call off the event loop.
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
      return new ClusterNode(hz, HazelcastMemoryBudget.create(hz, directory.localNode(), budgetBytes), directory,
          clustered, secret, budgetBytes);
    } catch (RuntimeException e) {
      hz.shutdown();
      throw e;
    }
  }

  public String nodeId() {
    return nodeId;
  }

  public HazelcastMemoryBudget budget() {
    return budget;
  }

  /**
   * This node's memory pool, of the node's budget size: everything that takes memory goes through its
   * reservations. For now counted in this process; the cluster-wide pool (an IMap, no CP) replaces it.
   */
  public MemoryPool memoryPool() {
    return memoryPool;
  }

  /** Live nodes and dataset owners. */
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

  /** Free bytes of another node's budget, read from its semaphore (for placing resident datasets). */
  public long freeBytesOf(String otherNodeId) {
    return hazelcast.getCPSubsystem().getSemaphore(HazelcastMemoryBudget.PREFIX + otherNodeId).availablePermits()
        * HazelcastMemoryBudget.UNIT;
  }

  @Override
  public void close() {
    budget.close();
    hazelcast.shutdown();
  }
}
