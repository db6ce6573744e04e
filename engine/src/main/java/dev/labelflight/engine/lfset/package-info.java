/**
 * LF sets: the LFs, label space and gold column a user works on for a dataset, saved as versions with who
 * saved them and what changed ({@link dev.labelflight.engine.lfset.LfSetStore}); the web page and the Python
 * client read and write the same set. Plain Java, blocking (disk).
 */
package dev.labelflight.engine.lfset;
