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
 * nobody (its cluster name is unique); clustered, it joins the loopback TCP-IP members and also backs
 * the Vert.x cluster manager. Either way the budget is the same CP semaphore, so one code path serves both.
 */
public final class ClusterNode implements AutoCloseable {
  private final String nodeId;
  private final HazelcastInstance hazelcast;
  private final HazelcastMemoryBudget budget;
  private final HazelcastDirectory directory;
  private final boolean clustered;
  private final MemoryPool memoryPool;

  private ClusterNode(HazelcastInstance hazelcast, HazelcastMemoryBudget budget, HazelcastDirectory directory,
      boolean clustered, long budgetBytes) {
    this.nodeId = directory.localNode();
    this.hazelcast = hazelcast;
    this.budget = budget;
    this.directory = directory;
    this.clustered = clustered;
    this.memoryPool = new LocalMemoryPool(nodeId, budgetBytes);
  }

  /**
   * Starts the member and creates the budget. Blocking (seconds): call off the event loop.
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
      return new ClusterNode(hz, HazelcastMemoryBudget.create(hz, directory.localNode(), budgetBytes), directory,
          clustered, budgetBytes);
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
