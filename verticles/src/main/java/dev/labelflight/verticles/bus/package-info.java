/**
 * The event bus as LabelFlight uses it: every address ({@link dev.labelflight.verticles.bus.Addresses}), typed
 * errors across it ({@link dev.labelflight.verticles.bus.BusErrors}), the caller's identity
 * ({@link dev.labelflight.verticles.bus.Caller}), node-local delivery, and the client of the job API for the
 * Flight endpoint and the bridge ({@link dev.labelflight.verticles.bus.LabelFlightApi}).
 */
package dev.labelflight.verticles.bus;
