/**
 * Authentication settings read from the configuration: users with hashed tokens and permissions, and the
 * dev user of the demo (its token kept across restarts, mode 0600).
 */
package dev.labelflight.server.auth;
