/**
 * The label-model verticle (thin, a worker verticle) and its parts: the facts of a finished job
 * ({@code JobFacts}), fit requests parsed once, the label matrix read chunk by chunk under a reservation
 * ({@code LabelMatrixReader}), fits and their storage as artifacts ({@code ModelFits}), descriptions of stored
 * models; LF analysis over the bus.
 */
package dev.labelflight.verticles.labelmodel;
