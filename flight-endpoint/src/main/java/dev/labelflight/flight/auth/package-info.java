/**
 * Authentication on Flight: the server's header authenticator for users and nodes, throttled per remote
 * address ({@link dev.labelflight.flight.auth.FlightAuthenticator}, with the address from a gRPC stream tracer),
 * and the bearer-token middleware of Java clients ({@link dev.labelflight.flight.auth.BearerToken}).
 */
package dev.labelflight.flight.auth;
