/**
 * The one error model: {@link dev.labelflight.engine.error.LabelFlightException} with its kind (how a transport
 * maps it: Flight status, bus failure code, HTTP status) and structured details (LF, row, field, limit, ...);
 * corrupt stored data as its own type.
 */
package dev.labelflight.engine.error;
