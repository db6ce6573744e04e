/**
 * Derived columns: columns computed from a dataset's text columns ({@link dev.labelflight.engine.derive.Derivation}:
 * lowercase, length, token count, regex extract) and stored beside the dataset version, chunk by chunk, by
 * {@link dev.labelflight.engine.derive.DerivedColumnStore}, each chunk under a reservation of the node's memory
 * pool sized by {@code memory.footprint.DerivedFootprint}; LFs read them as if they were dataset columns.
 */
package dev.labelflight.engine.derive;
