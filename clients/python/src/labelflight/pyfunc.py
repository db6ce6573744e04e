"""Python functions as LFs: Snorkel ``LabelingFunction`` objects (``@labeling_function()``, with ``pre=[...]`` and
``resources=``), plain ``f(row) -> int`` callables and batch ``f(df: pandas.DataFrame) -> numpy array`` LFs run
on the server's Python workers, mixed with the template kinds in one ``Client.apply``::

    from snorkel.labeling import labeling_function

    @labeling_function()
    def lf_free(x):
        return SPAM if "free" in x.text.lower() else ABSTAIN

    @labelflight.batch_lf
    def lf_short(df):
        return numpy.where(df.text.str.len() < 20, HAM, ABSTAIN)

    L = c.apply("mails", [lf_free, lf_short, lf.keyword("kw", ["winner"], label="SPAM")], labels=["HAM", "SPAM"])

A function travels by value with ``cloudpickle`` (its closure, the globals it reads and the code of your own
modules included; installed packages by reference, so the server's Python environment needs them, at the same
major.minor version). The label cache keys it by a fingerprint of its code, closure, preprocessors and those
package versions: editing one LF recomputes that LF only. Row LFs receive a row that reads like Snorkel's
``pandas.Series`` data point (``x.text``, ``x["text"]``); batch LFs a DataFrame of a chunk (up to
``store.chunkRows`` rows). Python LFs run only for users the server enables (``python.users``).
"""

from __future__ import annotations

import base64
import sys
import types
from typing import Any, Callable

from . import pyfunc_fingerprint

__all__ = ["PythonLF", "python_lf", "batch_lf", "is_python_lf", "to_spec"]


class PythonLF:
    """A Python function with its LabelFlight options (see :func:`python_lf`)."""

    def __init__(self, function: Callable, *, name: str | None = None, batch: bool = False,
                 fault_tolerant: bool = False, memory_mib: int | None = None):
        if not callable(function):
            raise TypeError(f"a Python LF must be callable, not {type(function).__name__}")
        self.function = function
        self.name = name or _name(function)
        self.batch = batch
        self.fault_tolerant = fault_tolerant
        self.memory_mib = memory_mib

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"PythonLF({self.name!r}, batch={self.batch})"


def python_lf(function: Callable | None = None, *, name: str | None = None, batch: bool = False,
              fault_tolerant: bool = False, memory_mib: int | None = None):
    """Marks a function (or Snorkel LF) as a Python LF with options; usable as ``@python_lf(...)`` too.
    ``fault_tolerant``: rows where it raises abstain and are counted as faults (Snorkel's applier flag);
    ``memory_mib``: memory each worker needs for it (its reservation; default: measured)."""
    def wrap(f: Callable) -> PythonLF:
        return PythonLF(f, name=name, batch=batch, fault_tolerant=fault_tolerant, memory_mib=memory_mib)
    return wrap(function) if function is not None else wrap


def batch_lf(function: Callable | None = None, *, name: str | None = None, fault_tolerant: bool = False,
             memory_mib: int | None = None):
    """Marks ``f(df: pandas.DataFrame) -> array`` as a batch LF: one call per chunk, one class index per row."""
    return python_lf(function, name=name, batch=True, fault_tolerant=fault_tolerant, memory_mib=memory_mib)


def is_python_lf(obj: Any) -> bool:
    """Whether ``Client.apply`` should ship ``obj`` as a Python LF (any callable that is not a spec)."""
    from .lfs import LF
    return callable(obj) and not isinstance(obj, (LF, dict, type))


def to_spec(obj: Any) -> dict:
    """The ``python`` LF spec of a function: its cloudpickle (checked to load back), fingerprint, Python version,
    the versions of the packages it uses, row or batch."""
    lf = obj if isinstance(obj, PythonLF) else PythonLF(obj)
    try:
        import cloudpickle
    except ImportError:
        raise ImportError("Python LFs need cloudpickle on the client: pip install cloudpickle") from None
    modules = _own_modules(lf.function)
    # Memoizing Snorkel preprocessors travel without what they cached here (data points of a local run).
    caches = [(m, m._cache) for m in _mappers(lf.function) if isinstance(getattr(m, "_cache", None), dict)]
    for m in modules:
        cloudpickle.register_pickle_by_value(m)
    try:
        for m, _ in caches:
            m._cache = {}
        pickled = cloudpickle.dumps(lf.function)
        cloudpickle.loads(pickled)
    except Exception as e:  # noqa: BLE001 - whatever the function holds that does not pickle
        raise TypeError(f"LF {lf.name!r} cannot be sent to the server: cloudpickle fails on it "
                        f"({type(e).__name__}: {e})") from None
    finally:
        for m, cache in caches:
            m._cache = cache
        for m in modules:
            cloudpickle.unregister_pickle_by_value(m)
    fingerprint, versions = pyfunc_fingerprint.of(lf.function)
    spec = {"name": lf.name, "kind": "python", "pickle": base64.b64encode(pickled).decode("ascii"),
            "fingerprint": fingerprint, "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
            "imports": versions, "mode": "batch" if lf.batch else "row"}
    if lf.fault_tolerant:
        spec["faultTolerant"] = True
    if lf.memory_mib:
        spec["memoryMiB"] = int(lf.memory_mib)
    return spec


def _name(function: Callable) -> str:
    name = getattr(function, "name", None)  # a Snorkel LabelingFunction
    if isinstance(name, str) and name:
        return name
    name = getattr(function, "__name__", None)
    if not name or name == "<lambda>":
        raise ValueError("give a lambda a name: labelflight.python_lf(f, name='...')")
    return name


def _mappers(function: Any) -> list:
    """Snorkel preprocessors of an LF (its ``pre``, recursively)."""
    out, stack = [], list(getattr(function, "_pre", None) or ())
    while stack:
        m = stack.pop()
        if all(m is not o for o in out):
            out.append(m)
            stack.extend(getattr(m, "_pre", None) or ())
    return out


def _own_modules(function: Callable) -> list:
    """The user's own modules the function's code comes from (not installed packages): pickled by value, since
    the server has only installed packages."""
    seen, out = set(), []
    stack = [function]
    while stack:
        f = stack.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        name = getattr(f, "__module__", None)
        module = sys.modules.get(name or "")
        if module is not None and name not in ("__main__", "__mp_main__") \
                and not pyfunc_fingerprint._installed(name) and module not in out:
            out.append(module)
        for attr in ("_f", "_pre", "__wrapped__"):
            value = getattr(f, attr, None)
            if isinstance(value, (list, tuple)):
                stack.extend(value)
            elif value is not None:
                stack.append(value)
        code, globals_ = getattr(f, "__code__", None), getattr(f, "__globals__", None)
        if code is not None and globals_ is not None:
            # What the function reads from its globals: a user module (``import my_helpers``), or a function or
            # class defined in one.
            for name in pyfunc_fingerprint._global_names(code):
                value = globals_.get(name)
                if isinstance(value, types.ModuleType):
                    if not pyfunc_fingerprint._installed(value.__name__) and value not in out:
                        out.append(value)
                elif callable(value):
                    stack.append(value)
    return out
