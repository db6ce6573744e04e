/**
 * The {@code python} LF kind as the engine sees it: {@link dev.labelflight.engine.lf.python.PythonFunction} (one
 * user function as shipped by the client: its cloudpickle, fingerprint, Python version, the packages it uses,
 * row or batch), {@link dev.labelflight.engine.lf.python.PythonLfs} (what runs them: the node's pool of Python
 * worker processes in the {@code python-workers} module, which the engine does not depend on) and
 * {@link dev.labelflight.engine.lf.python.ChunkOrigin} (which chunk a thread labels, so that workers can map
 * its file instead of receiving a copy).
 */
package dev.labelflight.engine.lf.python;
