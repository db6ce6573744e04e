/**
 * Flight between LabelFlight nodes: where a call is served ({@link dev.labelflight.flight.cluster.CallRouter}),
 * clients to the other nodes ({@link dev.labelflight.flight.cluster.NodeClients}), calls passed through to
 * them ({@link dev.labelflight.flight.cluster.Relay}) and other nodes' dataset chunks read and kept here
 * ({@link dev.labelflight.flight.cluster.ChunkReplicas}).
 */
package dev.labelflight.flight.cluster;
