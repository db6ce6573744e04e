/**
 * DoPut {@code ["datasets", NAME]}: an upload checked batch by batch (schema, limits, dictionary columns
 * decoded) and stored as the dataset's next version, or relayed to the dataset's home node.
 */
package dev.labelflight.flight.upload;
