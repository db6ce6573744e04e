package dev.labelflight.cluster;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
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
  private final boolean clustered;

  private ClusterNode(String nodeId, HazelcastInstance hazelcast, HazelcastMemoryBudget budget, boolean clustered) {
    this.nodeId = nodeId;
    this.hazelcast = hazelcast;
    this.budget = budget;
    this.clustered = clustered;
  }

  /**
   * Starts the member and creates the budget. Blocking (seconds): call off the event loop.
   *
   * @param members empty for a standalone node
   */
  public static ClusterNode start(String clusterName, int port, List<String> members, long budgetBytes) {
    String nodeId = UUID.randomUUID().toString();
    boolean clustered = !members.isEmpty();
    String name = clustered ? clusterName : clusterName + "-standalone-" + nodeId;
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(LoopbackHazelcastConfig.build(name, port, members));
    try {
      return new ClusterNode(nodeId, hz, HazelcastMemoryBudget.create(hz, nodeId, budgetBytes), clustered);
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
