package dev.labelflight.cluster;

import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Hazelcast configuration that never leaves loopback and speaks only to members: one server socket bound
 * to 127.0.0.1 alone (not the wildcard address), for the member protocol only (advanced networking with a
 * member endpoint and no client, REST or memcache endpoint, so the stock Hazelcast clients are turned away
 * whatever cluster name they give), multicast and auto-detection off, and either TCP-IP join with
 * 127.0.0.1 members (clustered) or no join at all (a single embedded member). Also sets
 * {@code hazelcast.local.localAddress=127.0.0.1}, which Hazelcast reads at start. Hazelcast Community has
 * no member authentication: what keeps other processes out of the cluster is the cluster name, derived from
 * the cluster's secret ({@link ClusterSecret#clusterName}), so it is kept out of the logs too.
 */
public final class LoopbackHazelcastConfig {
  /** The member attribute holding the node id (the one {@code HazelcastClusterManager} reads). */
  public static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";
  /** The only interface Hazelcast (and the Vert.x event bus beside it) listens on and talks to. */
  public static final String LOOPBACK = "127.0.0.1";
  /**
   * Hazelcast's start-up banner names the cluster ("Cluster name: ..."); held here so that the level set
   * below is not lost with a collected logger.
   */
  private static final Logger SYSTEM_LOG = Logger.getLogger("com.hazelcast.system");

  static {
    SYSTEM_LOG.setLevel(Level.WARNING);
  }

  private LoopbackHazelcastConfig() {}

  /**
   * @param clusterName members join only a cluster of the same name
   * @param port first port to try (auto-incremented when taken)
   * @param memberAddresses TCP-IP members, each 127.0.0.1 or 127.0.0.1:PORT; empty for a single member
   */
  public static Config build(String clusterName, int port, List<String> memberAddresses) {
    return build(clusterName, port, memberAddresses, java.util.UUID.randomUUID().toString());
  }

  /**
   * As above, naming the member {@code nodeId} in the attribute the Vert.x cluster manager reads its node
   * id from (so the Vert.x node id and ours are one).
   */
  public static Config build(String clusterName, int port, List<String> memberAddresses, String nodeId) {
    for (String member : memberAddresses) {
      if (!member.equals("127.0.0.1") && !member.startsWith("127.0.0.1:")) {
        throw new IllegalArgumentException("cluster member '" + member + "' is not on loopback (127.0.0.1)");
      }
    }
    System.setProperty("hazelcast.local.localAddress", LOOPBACK);
    Config config = new Config();
    config.setClusterName(clusterName);
    config.getMemberAttributeConfig().setAttribute(NODE_ID_ATTRIBUTE, nodeId);
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    // Log lines would otherwise start with "[address] [cluster name] [version]".
    config.setProperty("hazelcast.logging.details.enabled", "false");
    // Bind the configured interface only, not the wildcard address.
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.socket.server.bind.any", "false");
    // A node killed with SIGKILL must leave the member list in seconds, not the default minute: its
    // chunk tasks are re-run elsewhere only then.
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", "6");
    AdvancedNetworkConfig network = config.getAdvancedNetworkConfig().setEnabled(true);
    ServerSocketEndpointConfig members = new ServerSocketEndpointConfig();
    members.setPort(port).setPortAutoIncrement(true).setPortCount(200);
    members.getInterfaces().setEnabled(true).addInterface(LOOPBACK);
    network.setMemberEndpointConfig(members);
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(!memberAddresses.isEmpty()).setMembers(List.copyOf(memberAddresses));
    return config;
  }
}
