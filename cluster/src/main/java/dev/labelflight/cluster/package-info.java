/**
 * How the nodes of a LabelFlight cluster find and trust each other: the Hazelcast member of every node
 * (loopback only, member protocol only: {@link dev.labelflight.cluster.LoopbackHazelcastConfig}), the cluster's
 * secret and the values derived from it (Hazelcast cluster name, node credential on Flight, event-bus credential:
 * {@link dev.labelflight.cluster.ClusterSecret}, {@link dev.labelflight.cluster.EventBusCredential}), the
 * directory of live nodes and dataset owners ({@link dev.labelflight.cluster.ClusterDirectory}), and the node's
 * memory budget. Nothing kept in Hazelcast here is a credential: a process that reads every map gains no access.
 */
package dev.labelflight.cluster;
