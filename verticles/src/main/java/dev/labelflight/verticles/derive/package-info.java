/**
 * The derive verticle (a worker verticle): computes a derived column once for a dataset version and stores it
 * beside the data, under a memory reservation.
 */
package dev.labelflight.verticles.derive;
