/**
 * The node's Prometheus metrics (jobs, chunks, memory pool, allocators, Flight traffic, auth failures) served
 * on {@code /metrics} to authenticated users.
 */
package dev.labelflight.server.metrics;
