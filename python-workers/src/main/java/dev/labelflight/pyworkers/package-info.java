/**
 * The node's pool of Python worker processes for {@code python} LFs ({@link dev.labelflight.pyworkers.PythonWorkerPool},
 * which implements the engine's {@link dev.labelflight.engine.lf.python.PythonLfs}).
 *
 * <p>Per (user, LF set) one {@link dev.labelflight.pyworkers.TemplateProcess} unpickles and loads the functions
 * once, then forks {@link dev.labelflight.pyworkers.WorkerProcess}es that share its memory copy-on-write. Workers
 * are reused across chunks and jobs, recycled after {@code tasksPerWorker} chunks or when they grow, killed at
 * once on cancel, timeout or a memory limit ({@link dev.labelflight.pyworkers.TaskWatchdog}); each holds a
 * {@link dev.labelflight.engine.memory.Reservation} on the node's memory pool. Chunks reach workers as the
 * store's Arrow IPC files (memory-mapped by the worker) or, for chunks that are not local files, as one Arrow
 * IPC copy in shared memory ({@link dev.labelflight.pyworkers.SharedChunks}); labels come back as Arrow IPC
 * ({@link dev.labelflight.pyworkers.Frame}). The Python side is {@code src/main/python/labelflight_worker}.
 */
package dev.labelflight.pyworkers;
