package dev.labelflight.flight.call;

/**
 * Where a call is served: here, on the node that owns the dataset it names, or on the node that runs the
 * job it names (the node is part of the job id). The producer relays a call whose home is another node.
 */
public enum Home {
  HERE,
  DATASET,
  JOB
}
