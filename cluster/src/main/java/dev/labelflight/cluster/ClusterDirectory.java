package dev.labelflight.cluster;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Who is in the cluster and who owns what: the live nodes with their Flight endpoints, and the owner of
 * each dataset name (the node that received its first upload). Blocking calls (Hazelcast): never call
 * from an event loop.
 */
public interface ClusterDirectory {

  /**
   * One live node: its id, where its Flight endpoint listens, and what it last said of itself (memory
   * budget and free bytes, workers, resident datasets), so every node sees every node's room.
   */
  record NodeInfo(String nodeId, String flight, Map<String, Object> facts) {}

  String localNode();

  /** Publishes this node's Flight endpoint and facts to the others (again whenever they change). */
  void announce(String flight, Map<String, Object> facts);

  /** This node's Flight endpoint as last announced (null before); a field read, safe on an event loop. */
  String localFlight();

  /** The live nodes, this one included. */
  List<NodeInfo> nodes();

  /** A live node by id; empty if unknown or gone. */
  Optional<NodeInfo> node(String nodeId);

  /** The live node that owns {@code dataset}, if any (a dead owner's datasets are gone with it). */
  Optional<String> ownerOf(String dataset);

  /**
   * Makes this node the owner of {@code dataset} unless a live node already is; returns the owner.
   * A dataset whose owner left the cluster is taken over.
   */
  String claim(String dataset);

  /**
   * The node recorded as the owner of {@code dataset} if that node is not live any more (it crashed or
   * stopped and has not come back): an upload of the same name elsewhere would later hide its data.
   */
  default Optional<String> downOwnerOf(String dataset) {
    return Optional.empty();
  }

  /** Forgets this node's ownership of {@code dataset} (after a drop). */
  void release(String dataset);

  /** Hears the id of every node that leaves the cluster (crash or shutdown), on a Hazelcast thread. */
  void onNodeLeft(Consumer<String> listener);

  /** Hears the id of every node that joins the cluster, on a Hazelcast thread. */
  void onNodeJoined(Consumer<String> listener);

  /** Whether other nodes may exist at all (false: a single standalone node, every call stays local). */
  boolean clustered();

  /** Whether {@code nodeId} is this node (null means "no particular node": local). */
  default boolean isLocal(String nodeId) {
    return nodeId == null || nodeId.equals(localNode());
  }
}
