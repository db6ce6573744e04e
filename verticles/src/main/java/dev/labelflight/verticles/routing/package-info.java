/**
 * Where a job runs: the {@link dev.labelflight.verticles.routing.RoutingRule}, a pure function from
 * {@link dev.labelflight.verticles.routing.RouteInputs} to a {@link dev.labelflight.verticles.routing.Route}
 * (queue, resident copy here, another node's copy, or refused, each with a reason and a fallback), and the
 * {@link dev.labelflight.verticles.routing.JobRouter} that reads the inputs and carries a route out.
 * The router is event-loop confined.
 */
package dev.labelflight.verticles.routing;
