/**
 * Calls about the service rather than a user's data: node-to-node calls (the {@code manifest} action and
 * {@code chunk/NAME@V/I} tickets, which read datasets by their stored names and refuse users), and the
 * place for meta actions such as a list of LF kinds.
 */
package dev.labelflight.flight.admin;
