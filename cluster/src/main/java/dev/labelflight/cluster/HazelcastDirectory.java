package dev.labelflight.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The {@link ClusterDirectory} of a Hazelcast member: two IMaps (node id to Flight endpoint,
 * dataset name to owner node id) read against the current member list, so entries of a node that left
 * are ignored without anyone having to clean them up.
 */
public final class HazelcastDirectory implements ClusterDirectory {
  static final String NODES = "labelflight.nodes";
  static final String DATASETS = "labelflight.datasets";
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  private final HazelcastInstance hazelcast;
  private final String localNode;
  private final boolean clustered;
  private final IMap<String, String> nodes;
  private final IMap<String, String> owners;
  private volatile String localFlight;
  private final List<Consumer<String>> leftListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<String>> joinedListeners = new CopyOnWriteArrayList<>();

  HazelcastDirectory(HazelcastInstance hazelcast, boolean clustered) {
    this.hazelcast = hazelcast;
    this.clustered = clustered;
    this.localNode = idOf(hazelcast.getCluster().getLocalMember());
    this.nodes = hazelcast.getMap(NODES);
    this.owners = hazelcast.getMap(DATASETS);
    hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        String id = idOf(event.getMember());
        joinedListeners.forEach(l -> l.accept(id));
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        String id = idOf(event.getMember());
        leftListeners.forEach(l -> l.accept(id));
      }
    });
  }

  /** A member's node id: the attribute every LabelFlight member sets, else its Hazelcast UUID. */
  static String idOf(Member member) {
    String id = member.getAttribute(LoopbackHazelcastConfig.NODE_ID_ATTRIBUTE);
    return id != null ? id : member.getUuid().toString();
  }

  @Override
  public String localNode() {
    return localNode;
  }

  @Override
  public String localFlight() {
    return localFlight;
  }

  @Override
  public void announce(String flight, Map<String, Object> facts) {
    localFlight = flight;
    Map<String, Object> entry = new java.util.LinkedHashMap<>(facts);
    entry.put("flight", flight);
    try {
      nodes.set(localNode, JSON.writeValueAsString(entry));
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("node facts are not JSON: " + facts, e);
    }
  }

  /** An entry of the node map: the facts with the Flight endpoint among them. */
  private static NodeInfo parse(String nodeId, String entry) {
    try {
      Map<String, Object> facts = JSON.readValue(entry, new com.fasterxml.jackson.core.type.TypeReference<>() { });
      Object flight = facts.remove("flight");
      return new NodeInfo(nodeId, flight == null ? "" : flight.toString(), facts);
    } catch (java.io.IOException e) {
      return new NodeInfo(nodeId, "", Map.of());
    }
  }

  private Set<String> live() {
    return hazelcast.getCluster().getMembers().stream().map(HazelcastDirectory::idOf).collect(Collectors.toSet());
  }

  @Override
  public List<NodeInfo> nodes() {
    List<NodeInfo> out = new ArrayList<>();
    for (Member m : hazelcast.getCluster().getMembers()) {
      String id = idOf(m);
      String entry = nodes.get(id);
      if (entry != null) {
        out.add(parse(id, entry));
      }
    }
    return out;
  }

  @Override
  public Optional<NodeInfo> node(String nodeId) {
    if (!live().contains(nodeId)) {
      return Optional.empty();
    }
    return Optional.ofNullable(nodes.get(nodeId)).map(entry -> parse(nodeId, entry));
  }

  @Override
  public Optional<String> ownerOf(String dataset) {
    String owner = owners.get(dataset);
    return owner != null && live().contains(owner) ? Optional.of(owner) : Optional.empty();
  }

  @Override
  public Optional<String> downOwnerOf(String dataset) {
    String owner = owners.get(dataset);
    return owner != null && !owner.equals(localNode) && !live().contains(owner) ? Optional.of(owner) : Optional.empty();
  }

  @Override
  public String claim(String dataset) {
    while (true) {
      String owner = owners.putIfAbsent(dataset, localNode);
      if (owner == null || owner.equals(localNode)) {
        return localNode;
      }
      if (live().contains(owner)) {
        return owner;
      }
      // Its owner left: take the name over (atomically, in case another node tries the same).
      if (owners.replace(dataset, owner, localNode)) {
        return localNode;
      }
    }
  }

  @Override
  public void release(String dataset) {
    owners.remove(dataset, localNode);
  }

  @Override
  public void onNodeLeft(Consumer<String> listener) {
    leftListeners.add(listener);
  }

  @Override
  public void onNodeJoined(Consumer<String> listener) {
    joinedListeners.add(listener);
  }

  @Override
  public boolean clustered() {
    return clustered;
  }
}
