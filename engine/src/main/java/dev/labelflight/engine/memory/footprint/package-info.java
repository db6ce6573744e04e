/**
 * How many bytes each kind of data takes in memory, one class per kind: a dataset chunk read from disk
 * ({@link dev.labelflight.engine.memory.footprint.ChunkFootprint}), the label side of a chunk
 * ({@link dev.labelflight.engine.memory.footprint.LabelFootprint}), a resident copy
 * ({@link dev.labelflight.engine.memory.footprint.ResidentFootprint}), derived columns
 * ({@link dev.labelflight.engine.memory.footprint.DerivedFootprint}), browse pages and label scans
 * ({@link dev.labelflight.engine.memory.footprint.BrowseFootprint}) and label-model fits
 * ({@link dev.labelflight.engine.memory.footprint.ModelFitFootprint}). Callers reserve these numbers
 * (scaled by {@code memory.estimateScale}) from the node's {@link dev.labelflight.engine.memory.MemoryPool}
 * before they allocate, and cap their child allocator at them, so an estimate that is too small fails one
 * task cleanly. Each estimate says what it counts (Arrow buffers, heap copies, label arrays); the tests
 * compare each with what a generated dataset really allocates.
 */
package dev.labelflight.engine.memory.footprint;
