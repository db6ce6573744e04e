/**
 * Datasets on disk: versions of Arrow IPC chunks with a checksummed manifest, published by one atomic
 * rename ({@link dev.labelflight.engine.store.DatasetStore}); uploads re-cut into chunks and checked
 * against the upload limits ({@link dev.labelflight.engine.store.DatasetUpload},
 * {@link dev.labelflight.engine.store.UploadLimits}), dictionary columns decoded within them
 * ({@link dev.labelflight.engine.store.DictionaryColumns}); the naming rule and users' namespaces
 * ({@link dev.labelflight.engine.store.DatasetNames}); chunk reads, memory-mapped where the types allow.
 */
package dev.labelflight.engine.store;
