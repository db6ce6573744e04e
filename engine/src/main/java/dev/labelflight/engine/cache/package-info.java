/**
 * The label cache: one label column per (dataset version, chunk, LF fingerprint) on disk with a bounded
 * off-heap hot layer, so editing one LF recomputes only that LF; {@link dev.labelflight.engine.cache.LfFingerprint}
 * is the canonical key of an LF spec (names and vote signs excluded, Python LFs by their code fingerprint).
 */
package dev.labelflight.engine.cache;
