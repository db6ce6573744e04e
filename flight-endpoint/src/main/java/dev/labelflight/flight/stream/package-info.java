/** How a DoGet stream leaves the node: started, paced by the client (back-pressure), counted and sent batch by batch. */
package dev.labelflight.flight.stream;
