/**
 * The web UI's review services on the event bus ({@link dev.labelflight.verticles.review.ReviewVerticle}, a
 * worker verticle): error-analysis pages of a job, text search with an LF's coverage and accuracy, and the
 * hand-labelled dev set. Thin: parsing, ownership (through the coordinator's job lookup and the caller's
 * dataset namespace) and budget reservations here; the work in {@code engine/review} and {@code engine/devset}.
 */
package dev.labelflight.verticles.review;
