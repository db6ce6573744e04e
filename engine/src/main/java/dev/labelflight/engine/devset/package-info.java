/**
 * Hand-labelled dev sets: rows of one dataset version that a user labelled by hand, kept on the server as
 * gold ({@link dev.labelflight.engine.devset.DevSetStore}). Analysis reads them as {@code "gold": "@dev"}
 * over exactly the labelled rows ({@link dev.labelflight.engine.devset.DevGold}); label-model selection reads
 * the dev labels of a chunk's rows the same way. Plain Java, blocking (disk).
 */
package dev.labelflight.engine.devset;
