package dev.labelflight.flight.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;

/**
 * Flight clients to the other nodes, one per endpoint, made on first use and kept (a gRPC channel is
 * meant to be shared). All their Arrow memory comes from one child allocator, closed last.
 */
public final class NodeClients implements AutoCloseable {
  /** Header with the cluster's node credential: a call that carries it is another node's. */
  public static final String NODE_HEADER = "x-labelflight-node";
  /** Header naming the user a node relays a call for (absent: the node's own call, over stored names). */
  public static final String USER_HEADER = "x-labelflight-user";

  private final BufferAllocator allocator;
  private final Map<String, FlightClient> clients = new ConcurrentHashMap<>();
  private final String nodeSecret;
  private final java.nio.file.Path trustedCertificate;

  /**
   * @param nodeSecret the credential every node of the cluster shares (null: none, authentication off)
   * @param trustedCertificate PEM the other nodes' TLS certificates are checked against (null: no TLS)
   */
  public NodeClients(BufferAllocator parent, String nodeSecret, java.nio.file.Path trustedCertificate) {
    this.allocator = parent.newChildAllocator("node clients", 0, Long.MAX_VALUE);
    this.nodeSecret = nodeSecret;
    this.trustedCertificate = trustedCertificate;
  }

  public String nodeSecret() {
    return nodeSecret;
  }

  public FlightClient client(String flight) {
    return clients.computeIfAbsent(flight, uri -> {
      try {
        FlightClient.Builder builder = FlightClient.builder(allocator, new Location(uri));
        if (trustedCertificate != null) {
          try (var pem = java.nio.file.Files.newInputStream(trustedCertificate)) {
            builder.useTls().trustedCertificates(new java.io.ByteArrayInputStream(pem.readAllBytes()));
          }
        }
        return builder.build();
      } catch (java.net.URISyntaxException | java.io.IOException e) {
        throw new IllegalArgumentException("cannot reach node endpoint " + uri + ": " + e.getMessage(), e);
      }
    });
  }

  /** Options of a node's own call to another node (no user: stored names, internal tickets), plus {@code extra}. */
  public CallOption[] options(CallOption... extra) {
    return options(null, extra);
  }

  /** Options of a call relayed for {@code user} (null: the node's own), plus {@code extra}. */
  public CallOption[] options(String user, CallOption... extra) {
    List<CallOption> all = new ArrayList<>();
    if (nodeSecret != null) {
      org.apache.arrow.flight.FlightCallHeaders headers = new org.apache.arrow.flight.FlightCallHeaders();
      headers.insert(NODE_HEADER, nodeSecret);
      if (user != null) {
        headers.insert(USER_HEADER, user);
      }
      all.add(new org.apache.arrow.flight.HeaderCallOption(headers));
    }
    all.addAll(List.of(extra));
    return all.toArray(new CallOption[0]);
  }

  public BufferAllocator allocator() {
    return allocator;
  }

  @Override
  public void close() throws Exception {
    List<AutoCloseable> all = new ArrayList<>(clients.values());
    clients.clear();
    all.add(allocator);
    AutoCloseables.close(all);
  }
}
