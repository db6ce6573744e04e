package dev.labelflight.cluster.memory;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Hazelcast members for tests, on loopback only: interface 127.0.0.1, TCP-IP join to the first member's
 * port, multicast and auto-detection off, a random cluster name, and a short heartbeat timeout so that a
 * killed member leaves within seconds. Built here rather than from the server's configuration so that
 * the pool's tests hold whatever way the server configures its member. Closing shuts every member down.
 */
final class LoopbackMembers implements AutoCloseable {
  /** Seconds without a heartbeat after which a member is taken for dead. */
  static final int HEARTBEAT_TIMEOUT_SECONDS = 5;

  final String clusterName = "lf-pool-test-" + UUID.randomUUID();
  final int seedPort;
  private final List<HazelcastInstance> started = new ArrayList<>();

  LoopbackMembers() throws IOException {
    this.seedPort = freePort();
  }

  /** Starts a member that joins the others (the first one listens on {@link #seedPort}). */
  HazelcastInstance start() throws IOException {
    HazelcastInstance member = Hazelcast.newHazelcastInstance(
        config(clusterName, started.isEmpty() ? seedPort : freePort(), seedPort));
    started.add(member);
    return member;
  }

  static Config config(String clusterName, int port, int seedPort) {
    System.setProperty("hazelcast.local.localAddress", "127.0.0.1");
    Config config = new Config();
    config.setClusterName(clusterName);
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.logging.type", "none");
    config.setProperty("hazelcast.partition.count", "23");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(HEARTBEAT_TIMEOUT_SECONDS));
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(port).setPortAutoIncrement(false);
    network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(List.of("127.0.0.1:" + seedPort));
    return config;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      started.get(i).getLifecycleService().terminate();
    }
  }
}
