/**
 * Versioned LF sets of a user (the page and the Python client edit the same one): atomic, checksummed
 * versions with who saved them and a base-version check against lost updates.
 */
package dev.labelflight.engine.lfset;
