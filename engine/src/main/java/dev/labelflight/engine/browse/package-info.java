/**
 * Looking at data: the dataset catalog, seeded row samples, rows where an LF votes or abstains (example
 * finder), per-LF coverage of a sample, and rows as JSON for the web UI (text only, never bulk columns).
 */
package dev.labelflight.engine.browse;
