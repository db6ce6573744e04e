"""The LabelFlight Python worker: runs users' labeling functions (Snorkel LabelingFunction objects, plain
``f(row) -> int`` and batch ``f(DataFrame) -> array``) over dataset chunks for the Java supervisor
(``python-workers/``, ``dev.labelflight.pyworkers``).

One *template* process per (user, LF set) unpickles the functions and loads what they hold (preprocessors,
resources, models), then forks the *workers*, which share those pages copy-on-write. Workers read chunks as
Arrow IPC files, memory-mapped, and send label columns back as Arrow IPC over a Unix socket.

Modules: ``frames`` (the wire framing), ``limits`` (rlimits, parent-death signal), ``functions`` (checking
and unpickling the LF set), ``rows`` (the row objects row LFs see), ``labeling`` (a chunk through the LFs),
``template`` (the template and worker processes).
"""
