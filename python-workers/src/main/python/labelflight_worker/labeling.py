"""A chunk through a set of LFs: the Arrow IPC file memory-mapped, row LFs over Row objects (row-major, as
Snorkel's applier), batch LFs over one DataFrame of the chunk, every return value checked, label columns out
as Arrow IPC. Where the worker is (LF and row) is kept in a small shared file, so that the supervisor can
name them when the worker hangs or dies."""

import os

import numpy as np
import pyarrow as pa

from .functions import LfError
from .rows import rows

ABSTAIN = -1
FAULT = -2


def allowed(path, roots):
    """Whether ``path`` (resolved) starts with one of ``roots``: the supervisor's resolved prefixes of this user's
    files (``.../datasets/USER~`` and the user's shared-memory directory)."""
    real = os.path.realpath(path)
    return real.endswith(".arrow") and any(real.startswith(r) for r in roots)


def read_chunk(path, roots):
    if not allowed(path, roots):
        raise LfError("forbidden", None, f"the worker may not read {path}: not a chunk of its user's datasets")
    with pa.memory_map(path, "r") as source:
        reader = pa.ipc.open_file(source)
        if reader.num_record_batches == 0:
            return pa.record_batch([pa.array([], f.type) for f in reader.schema], schema=reader.schema)
        return reader.get_batch(0)


def _describe(v):
    text = repr(v)
    return (text[:60] + "...") if len(text) > 60 else text


def _bad_return(lf, v, row, classes):
    return LfError("bad_return", lf.name, f"LF '{lf.name}' returned {_describe(v)} ({type(v).__name__}) on row {row}: "
                   f"an LF returns a class index in [-1, {classes - 1}] (-1 abstains)", row=row)


def label(lfs, batch, first_row, classes, state):
    """Label columns (int8, one bytearray per LF) and fault counts of ``batch``."""
    n = batch.num_rows
    out = [bytearray(b"\xff") * n for _ in lfs]
    faults = [0] * len(lfs)
    row_lfs = [(i, lf, lf.fn, out[i]) for i, lf in enumerate(lfs) if not lf.batch]
    if row_lfs and n:
        names = batch.schema.names
        columns = [c.to_pylist() for c in batch.columns]
        for r, x in enumerate(rows(names, columns)):
            state[0] = r
            for i, lf, fn, col in row_lfs:
                state[1] = i
                try:
                    v = fn(x)
                except MemoryError:
                    raise
                except Exception as e:  # noqa: BLE001 - the LF's own failure, reported with its row
                    if lf.fault_tolerant:
                        col[r] = FAULT & 0xFF
                        faults[i] += 1
                        continue
                    raise LfError("raised", lf.name, f"LF '{lf.name}' raised {type(e).__name__}: {e} on row "
                                  f"{first_row + r}", row=first_row + r) from None
                if type(v) is not int:
                    if isinstance(v, (int, np.integer)):
                        v = int(v)
                    else:
                        if lf.fault_tolerant:
                            col[r] = FAULT & 0xFF
                            faults[i] += 1
                            continue
                        raise _bad_return(lf, v, first_row + r, classes)
                if v >= 0:
                    if v >= classes:
                        if lf.fault_tolerant:
                            col[r] = FAULT & 0xFF
                            faults[i] += 1
                            continue
                        raise _bad_return(lf, v, first_row + r, classes)
                    col[r] = v
                elif v != ABSTAIN:
                    if lf.fault_tolerant:
                        col[r] = FAULT & 0xFF
                        faults[i] += 1
                        continue
                    raise _bad_return(lf, v, first_row + r, classes)
    frame = None
    for i, lf in enumerate(lfs):
        if not lf.batch:
            continue
        state[0], state[1] = 0, i
        if frame is None:
            frame = batch.to_pandas()
        try:
            v = lf.fn(frame.copy(deep=False))
            a = np.asarray(v)
        except MemoryError:
            raise
        except Exception as e:  # noqa: BLE001
            if lf.fault_tolerant:
                out[i][:] = bytes([FAULT & 0xFF]) * n
                faults[i] = n
                continue
            raise LfError("raised", lf.name, f"LF '{lf.name}' (batch) raised {type(e).__name__}: {e} on rows "
                          f"{first_row}..{first_row + n - 1}", row=first_row) from None
        if a.shape != (n,) or a.dtype.kind not in "iub":
            raise LfError("bad_return", lf.name, f"LF '{lf.name}' (batch) returned {type(v).__name__} of shape "
                          f"{a.shape} and dtype {a.dtype}; a batch LF returns one integer class index per row "
                          f"({n} rows)", row=first_row)
        a = a.astype(np.int64, copy=False)
        bad = np.flatnonzero((a < ABSTAIN) | (a >= classes))
        if bad.size:
            r = int(bad[0])
            if not lf.fault_tolerant:
                raise _bad_return(lf, int(a[r]), first_row + r, classes)
            faults[i] = int(bad.size)
            a = a.copy()
            a[bad] = FAULT
        out[i][:] = a.astype(np.int8).tobytes()
    for lf in lfs:
        lf.reset_caches()
    return out, faults


def to_ipc(out, n):
    arrays = [pa.Array.from_buffers(pa.int8(), n, [None, pa.py_buffer(col)]) for col in out]
    batch = pa.record_batch(arrays, names=[f"lf{i}" for i in range(len(out))])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return sink.getvalue().to_pybytes()
