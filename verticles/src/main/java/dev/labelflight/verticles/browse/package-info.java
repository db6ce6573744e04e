/**
 * The browse verticle (a worker verticle): samples, examples and coverage for the web UI over the bus, each
 * read under a memory reservation.
 */
package dev.labelflight.verticles.browse;
