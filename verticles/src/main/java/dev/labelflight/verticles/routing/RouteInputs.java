package dev.labelflight.verticles.routing;

import dev.labelflight.engine.apply.ExecutionMode;
import dev.labelflight.verticles.resident.CopyState;

/**
 * Everything the routing rule looks at, read once when a job is routed.
 *
 * @param mode the user's {@code mode}
 * @param copy this node's resident copy of the job's dataset version
 * @param copyBytes what a resident copy of the dataset takes in memory
 * @param jobBytes what one chunk's label arrays of this job take on a resident copy (a resident job needs at
 *     least that on top of the copy)
 * @param budgetBytes the node's memory budget
 * @param freeBytes the part of it free now
 * @param residentEnabled whether the router may load resident copies on its own ({@code resident.enabled})
 * @param otherNodes whether another node may hold the copy (clustered, resident copies enabled, and the
 *     job reads no derived column, which lives on this node only)
 */
public record RouteInputs(ExecutionMode mode, CopyState copy, long copyBytes, long jobBytes, long budgetBytes,
    long freeBytes, boolean residentEnabled, boolean otherNodes) {

  /** The copy and one chunk's label arrays: what a resident job needs at least. */
  public long residentBytes() {
    return copyBytes + jobBytes;
  }
}
