package dev.labelflight.cluster;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** The directory of a node alone: it is the only node and owns every dataset (tests and embedding). */
public final class LocalDirectory implements ClusterDirectory {
  private final String nodeId;
  private final Map<String, Boolean> owned = new ConcurrentHashMap<>();
  private volatile String flight = "";
  private volatile Map<String, Object> facts = Map.of();

  public LocalDirectory(String nodeId) {
    this.nodeId = nodeId;
  }

  @Override
  public String localNode() {
    return nodeId;
  }

  @Override
  public String localFlight() {
    return flight.isEmpty() ? null : flight;
  }

  @Override
  public void announce(String flight, Map<String, Object> facts) {
    this.flight = flight;
    this.facts = Map.copyOf(facts);
  }

  @Override
  public List<NodeInfo> nodes() {
    return List.of(new NodeInfo(nodeId, flight, facts));
  }

  @Override
  public Optional<NodeInfo> node(String id) {
    return id.equals(nodeId) ? Optional.of(new NodeInfo(nodeId, flight, facts)) : Optional.empty();
  }

  @Override
  public Optional<String> ownerOf(String dataset) {
    return owned.containsKey(dataset) ? Optional.of(nodeId) : Optional.empty();
  }

  @Override
  public String claim(String dataset) {
    owned.put(dataset, true);
    return nodeId;
  }

  @Override
  public void release(String dataset) {
    owned.remove(dataset);
  }

  @Override
  public void onNodeLeft(Consumer<String> listener) {
  }

  @Override
  public void onNodeJoined(Consumer<String> listener) {
  }

  @Override
  public boolean clustered() {
    return false;
  }
}
