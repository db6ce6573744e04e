/**
 * Node sizing: the box's limits (cgroup memory and CPUs, else the machine's) and the defaults derived from
 * them (heap share, memory budget, worker threads), each with the derivation shown in /health.
 */
package dev.labelflight.engine.sizing;
