package dev.labelflight.verticles.job;

import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Job ids name the node that runs the job: {@code NODE-RANDOM}, the node id (a 36-character UUID) then 16
 * hex digits, so any node can tell where a job lives without asking anyone.
 */
public final class JobIds {
  private static final int NODE_LENGTH = 36;

  private JobIds() {}

  public static String create(String nodeId) {
    return nodeId + "-" + String.format("%016x", ThreadLocalRandom.current().nextLong());
  }

  /** The node a job lives on; empty for ids that name none (then: this node). */
  public static Optional<String> home(String jobId) {
    if (jobId == null || jobId.length() != NODE_LENGTH + 17 || jobId.charAt(NODE_LENGTH) != '-') {
      return Optional.empty();
    }
    return Optional.of(jobId.substring(0, NODE_LENGTH));
  }
}
