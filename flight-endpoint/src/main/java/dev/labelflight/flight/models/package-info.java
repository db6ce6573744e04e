/** DoActions about label models: {@code analysis} (LF analysis of a finished job) and {@code fit_label_model}. */
package dev.labelflight.flight.models;
