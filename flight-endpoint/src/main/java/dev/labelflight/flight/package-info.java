/**
 * LabelFlight's Arrow Flight endpoint. {@link dev.labelflight.flight.FlightEndpointVerticle} runs the
 * server and wires the handlers; {@link dev.labelflight.flight.LabelFlightProducer} only dispatches each
 * call to the handler of its family: {@code upload} (DoPut), {@code results} (label and model-output
 * streams), {@code datasets} (listings, infos, downloads, drop, derive), {@code jobs} (apply, status,
 * cancel), {@code models} (analysis, label-model fits) and {@code admin} (node-to-node calls, meta
 * actions). What they share is in {@code call}, the DoGet machinery in {@code stream}, calls served by
 * other nodes in {@code cluster}, and authentication in {@code auth}. {@link dev.labelflight.flight.FlightTraffic}
 * counts calls and bytes for metrics.
 */
package dev.labelflight.flight;
