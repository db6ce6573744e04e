/**
 * What the review loop shares between the web page and the Python client over Flight: LF set versions and the
 * hand-labelled dev set of a dataset version ({@link dev.labelflight.flight.review.LfSetsHandler}).
 */
package dev.labelflight.flight.review;
