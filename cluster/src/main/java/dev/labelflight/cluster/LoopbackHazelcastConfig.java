package dev.labelflight.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import java.util.List;

/**
 * Hazelcast configuration that never leaves loopback: interface 127.0.0.1, multicast and auto-detection
 * off, and either TCP-IP join with 127.0.0.1 members (clustered) or no join at all (a single embedded
 * member). Also sets {@code hazelcast.local.localAddress=127.0.0.1}, which Hazelcast reads at start.
 */
public final class LoopbackHazelcastConfig {
  /** The member attribute holding the node id (the one {@code HazelcastClusterManager} reads). */
  public static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";

  private LoopbackHazelcastConfig() {}

  /**
   * @param clusterName members join only a cluster of the same name
   * @param port first port to try (auto-incremented when taken)
   * @param members TCP-IP members, each 127.0.0.1 or 127.0.0.1:PORT; empty for a single member
   */
  public static Config build(String clusterName, int port, List<String> members) {
    return build(clusterName, port, members, java.util.UUID.randomUUID().toString());
  }

  /**
   * As above, naming the member {@code nodeId} in the attribute the Vert.x cluster manager reads its node
   * id from (so the Vert.x node id and ours are one).
   */
  public static Config build(String clusterName, int port, List<String> members, String nodeId) {
    for (String member : members) {
      if (!member.equals("127.0.0.1") && !member.startsWith("127.0.0.1:")) {
        throw new IllegalArgumentException("cluster member '" + member + "' is not on loopback (127.0.0.1)");
      }
    }
    System.setProperty("hazelcast.local.localAddress", "127.0.0.1");
    Config config = new Config();
    config.setClusterName(clusterName);
    config.getMemberAttributeConfig().setAttribute(NODE_ID_ATTRIBUTE, nodeId);
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    // A node killed with SIGKILL must leave the member list in seconds, not the default minute: its
    // chunk tasks are re-run elsewhere only then.
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", "6");
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(port).setPortAutoIncrement(true).setPortCount(200);
    network.setPublicAddress(null);
    network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(!members.isEmpty()).setMembers(List.copyOf(members));
    return config;
  }
}
