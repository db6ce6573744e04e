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
  private final BufferAllocator allocator;
  private final Map<String, FlightClient> clients = new ConcurrentHashMap<>();
  private final List<CallOption> options;

  /** {@code options} go with every call to another node (credentials, for instance). */
  public NodeClients(BufferAllocator parent, List<CallOption> options) {
    this.allocator = parent.newChildAllocator("node clients", 0, Long.MAX_VALUE);
    this.options = List.copyOf(options);
  }

  public FlightClient client(String flight) {
    return clients.computeIfAbsent(flight, uri -> {
      try {
        return FlightClient.builder(allocator, new Location(uri)).build();
      } catch (java.net.URISyntaxException e) {
        throw new IllegalArgumentException("bad node endpoint " + uri, e);
      }
    });
  }

  /** The options of every inter-node call, plus {@code extra}. */
  public CallOption[] options(CallOption... extra) {
    List<CallOption> all = new ArrayList<>(options);
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
