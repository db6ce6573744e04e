/**
 * Logging set-up: console or JSON lines; row text never goes into logs (row ids do).
 */
package dev.labelflight.server.logging;
