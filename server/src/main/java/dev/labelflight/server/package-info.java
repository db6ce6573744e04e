/**
 * The node process: {@code Main} (allocator and Netty set-up, signals), the configuration ({@code conf/} JSON
 * overridden by {@code LABELFLIGHT_*} variables), the server that wires cluster, stores, verticles, Flight
 * and HTTP together, the demo upload, graceful shutdown.
 */
package dev.labelflight.server;
