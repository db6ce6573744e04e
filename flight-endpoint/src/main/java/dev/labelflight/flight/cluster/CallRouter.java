package dev.labelflight.flight.cluster;

import dev.labelflight.cluster.ClusterDirectory;
import dev.labelflight.cluster.ClusterDirectory.NodeInfo;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.verticles.job.JobIds;
import java.util.List;
import java.util.Optional;

/**
 * Where a Flight call must be served: a dataset's calls on its owner, a job's calls on the node that
 * runs it (named in the job id). Empty means here. Blocking (reads the cluster directory).
 */
public final class CallRouter {
  private final ClusterDirectory directory;

  public CallRouter(ClusterDirectory directory) {
    this.directory = directory;
  }

  public boolean clustered() {
    return directory.clustered();
  }

  /** The other node that owns {@code dataset}, if one does. */
  public Optional<NodeInfo> forDataset(String dataset) {
    if (!directory.clustered()) {
      return Optional.empty();
    }
    return directory.ownerOf(dataset).filter(owner -> !directory.isLocal(owner)).flatMap(directory::node);
  }

  /** The other node that runs {@code job}; NOT_FOUND if that node left the cluster. */
  public Optional<NodeInfo> forJob(String job) {
    Optional<String> home = JobIds.home(job);
    if (!directory.clustered() || home.isEmpty() || directory.isLocal(home.get())) {
      return Optional.empty();
    }
    return Optional.of(directory.node(home.get()).orElseThrow(() -> LabelFlightException.notFound(
        "job '" + job + "' not found: the node that ran it left the cluster")));
  }

  /**
   * Makes this node the owner of a new dataset name, or names the other node that already owns it.
   * UNAVAILABLE while the name's home node is down: an upload here would make a second dataset of the same
   * name that hides the home node's versions once it is back, so it waits for that node instead.
   */
  public Optional<NodeInfo> claim(String dataset) {
    if (!directory.clustered()) {
      return Optional.empty();
    }
    Optional<String> down = directory.downOwnerOf(dataset);
    if (down.isPresent()) {
      String name = dev.labelflight.engine.store.DatasetNames.display(dataset);
      throw new LabelFlightException(LabelFlightException.Kind.UNAVAILABLE, "dataset '" + name + "' lives on node "
          + down.get() + ", which is down: uploads of '" + name + "' wait until that node is back (so that none of its"
          + " versions is hidden); use another name meanwhile")
          .withDetail(LabelFlightException.Detail.DATASET, name).withDetail("node", down.get());
    }
    String owner = directory.claim(dataset);
    if (directory.isLocal(owner)) {
      return Optional.empty();
    }
    return directory.node(owner);
  }

  public void release(String dataset) {
    directory.release(dataset);
  }

  /** The live nodes other than this one. */
  public List<NodeInfo> others() {
    if (!directory.clustered()) {
      return List.of();
    }
    return directory.nodes().stream().filter(n -> !directory.isLocal(n.nodeId())).toList();
  }
}
