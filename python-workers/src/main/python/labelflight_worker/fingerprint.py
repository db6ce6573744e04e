"""What a Python LF is, as a hash that is the same in every process: its code, closure, defaults, the
globals it reads, its preprocessors and resources, recursively, plus the Python minor version and the
versions of the packages it uses.

The label cache keys Python LFs by this fingerprint (a cloudpickle is not stable across processes: sets
iterate in hash-seed order, dynamic classes get fresh ids). The client computes it before sending and the
worker computes it again after unpickling, and refuses the function if they differ.

This file exists twice, byte for byte: ``clients/python/src/labelflight/pyfunc_fingerprint.py`` (client)
and ``python-workers/src/main/python/labelflight_worker/fingerprint.py`` (worker); a test keeps them equal.
Standard library only.
"""

import dis
import functools
import hashlib
import importlib.metadata
import struct
import sys
import types

# Attributes of Snorkel objects that are not their logic: the LF's name (renaming reuses labels) and the
# memoization cache of preprocessors (it fills as they run).
_SKIPPED_ATTRS = {"name", "_cache"}
_STDLIB = set(getattr(sys, "stdlib_module_names", ())) | {"builtins", "__main__", "__mp_main__"}


class Fingerprint:
    """Walks an object graph into a SHA-256 and collects the third-party packages it uses."""

    def __init__(self):
        self._hash = hashlib.sha256()
        self._seen = {}
        self._keep = []  # keeps reduce() results alive so their ids stay unique during the walk
        self.modules = set()

    def _put(self, tag, payload=b""):
        self._hash.update(struct.pack(">BI", tag, len(payload)))
        self._hash.update(payload)

    def _module(self, name):
        if name:
            top = name.split(".", 1)[0]
            if top not in _STDLIB and not top.startswith("_"):
                self.modules.add(top)

    def add(self, obj):
        t = type(obj)
        if obj is None or t in (bool, int, float, complex):
            self._put(1, (t.__name__ + ":" + repr(obj)).encode())
            return
        if t is str:
            self._put(2, obj.encode("utf-8", "surrogatepass"))
            return
        if t in (bytes, bytearray):
            self._put(3, bytes(obj))
            return
        key = id(obj)
        if key in self._seen:
            self._put(4, str(self._seen[key]).encode())
            return
        self._seen[key] = len(self._seen)
        if t in (tuple, list):
            self._put(5, t.__name__.encode())
            for item in obj:
                self.add(item)
            self._put(6)
        elif t in (set, frozenset):
            # Sets iterate in hash-seed order: their items are described one by one and sorted.
            self._put(7, str(len(obj)).encode())
            for digest in sorted(self._sub(item) for item in obj):
                self._put(8, digest)
        elif t is dict:
            # Dicts keep insertion order, which pickling keeps too.
            self._put(9, str(len(obj)).encode())
            for k, v in obj.items():
                self.add(k)
                self.add(v)
        elif t is types.FunctionType:
            self._function(obj)
        elif t is types.CodeType:
            self._code(obj)
        elif t is types.ModuleType:
            if _installed(obj.__name__):
                self._module(obj.__name__)  # the user's own modules travel by value: no version to check
            self._put(10, obj.__name__.encode())
        elif t is types.MethodType:
            self._put(11)
            self.add(obj.__func__)
            self.add(obj.__self__)
        elif t is types.BuiltinFunctionType:
            owner = obj.__self__
            self._module(getattr(obj, "__module__", None))
            self._put(12, f"{getattr(obj, '__module__', None)}.{obj.__qualname__}".encode())
            if owner is not None and not isinstance(owner, types.ModuleType):
                self.add(owner)  # a bound builtin method such as {...}.get
        elif isinstance(obj, type):
            self._class(obj)
        elif t.__module__ == "numpy" and t.__name__ == "ndarray":
            self._module("numpy")
            self._put(13, f"{obj.dtype.str}{obj.shape}".encode())
            self._put(3, hashlib.sha256(obj.tobytes() if not obj.flags.c_contiguous else obj.data).digest())
        else:
            self._object(obj)

    def _function(self, f):
        if _importable(f):
            # A library function travels by reference: its package version stands for its code.
            self._module(f.__module__)
            self._put(23, f"{f.__module__}.{f.__qualname__}".encode())
            return
        self._put(14, f"{f.__module__}.{f.__qualname__}".encode())
        self._code(f.__code__)
        self.add(f.__defaults__)
        self.add(f.__kwdefaults__)
        self.add(tuple(c.cell_contents if _cell_full(c) else _EMPTY for c in (f.__closure__ or ())))
        names = sorted(n for n in _global_names(f.__code__) if n in f.__globals__)
        self._put(15, str(len(names)).encode())
        for n in names:
            self._put(2, n.encode())
            self.add(f.__globals__[n])

    def _code(self, c):
        self._put(16, c.co_code)
        self._put(2, ",".join(c.co_names).encode())
        self._put(2, ",".join(c.co_varnames).encode())
        self._put(2, ",".join(c.co_freevars + c.co_cellvars).encode())
        self._put(1, f"{c.co_argcount},{c.co_kwonlyargcount},{c.co_flags}".encode())
        self.add(tuple(_const(k) for k in c.co_consts))

    def _class(self, cls):
        module = getattr(cls, "__module__", None)
        if _importable(cls):
            self._module(module)
            self._put(17, f"{module}.{cls.__qualname__}".encode())
            return
        # A class defined in __main__ or a notebook travels by value: its bases and members are its logic.
        self._put(18, f"{module}.{cls.__qualname__}".encode())
        self.add(cls.__bases__)
        members = {k: v for k, v in vars(cls).items()
                   if k not in ("__dict__", "__weakref__", "__module__", "__doc__", "__qualname__")
                   and not isinstance(v, (types.GetSetDescriptorType, types.MemberDescriptorType))}
        self.add(members)

    def _object(self, obj):
        cls = type(obj)
        self.add(cls)
        snorkel = (cls.__module__ or "").startswith("snorkel.")
        state = getattr(obj, "__dict__", None)
        plain = cls.__reduce_ex__ is object.__reduce_ex__ and cls.__reduce__ is object.__reduce__
        if state is not None and (snorkel or plain):
            self._put(19)
            self.add({k: v for k, v in state.items() if not (snorkel and k in _SKIPPED_ATTRS)})
            return
        try:
            reduced = obj.__reduce_ex__(4)
        except Exception:  # noqa: BLE001 - unpicklable state has no better description than its type
            self._put(20, repr(cls).encode())
            return
        if isinstance(reduced, str):
            self._put(21, reduced.encode())
            return
        self._keep.append(reduced)
        self._put(22)
        self.add(tuple(_materialize(x) for x in reduced[:5]))

    def _sub(self, obj):
        child = Fingerprint()
        child._seen, child._keep, child.modules = self._seen, self._keep, self.modules
        child.add(obj)
        return child._hash.digest()

    def versions(self):
        """Installed versions of the third-party top-level packages met, as {package: version}."""
        dists = _distributions()
        out = {}
        for top in sorted(self.modules):
            for dist in dists.get(top, [top]):
                try:
                    out[top] = importlib.metadata.version(dist)
                    break
                except importlib.metadata.PackageNotFoundError:
                    continue
        return out

    def hexdigest(self, versions):
        h = self._hash.copy()
        h.update(f"python:{sys.version_info[0]}.{sys.version_info[1]}".encode())
        for name, version in sorted(versions.items()):
            h.update(f"\n{name}=={version}".encode())
        return h.hexdigest()


class _Empty:
    def __reduce__(self):
        return "_EMPTY"


_EMPTY = _Empty()


def _cell_full(cell):
    try:
        cell.cell_contents
        return True
    except ValueError:
        return False


def _const(k):
    # Nested code (lambdas, comprehensions) is described as code; everything else as its value.
    return k


def _materialize(x):
    # reduce() may hand out iterators (list/dict items): describe their content.
    if isinstance(x, types.GeneratorType) or type(x).__name__.endswith("iterator"):
        return list(x)
    return x


_GLOBAL_OPS = {"LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL", "LOAD_NAME"}


def _global_names(code):
    # The globals a function reads are the names of its global opcodes (co_names also holds attribute names),
    # as cloudpickle picks them.
    names = {i.argval for i in dis.get_instructions(code) if i.opname in _GLOBAL_OPS}
    for k in code.co_consts:
        if isinstance(k, types.CodeType):
            names |= _global_names(k)
    return names


@functools.lru_cache(maxsize=1)
def _distributions():
    return importlib.metadata.packages_distributions()


def _installed(module_name):
    top = module_name.split(".", 1)[0]
    return top in _STDLIB or top in _distributions() or top in sys.builtin_module_names


def _importable(cls):
    """Whether a class or function comes from an installed package (stdlib or a distribution) and is found again
    by module and name: it is then described by reference. Code of the user's own modules is described by value
    (the client pickles those modules by value too)."""
    module_name = getattr(cls, "__module__", None) or ""
    module = sys.modules.get(module_name)
    if module is None or module_name in ("__main__", "__mp_main__") or "<locals>" in cls.__qualname__ \
            or not _installed(module_name):
        return False
    obj = module
    for part in cls.__qualname__.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return False
    return obj is cls


def of(function):
    """(fingerprint, {package: version}) of a Python LF: a Snorkel LabelingFunction, plain or batch function."""
    f = Fingerprint()
    f.add(function)
    versions = f.versions()
    return f.hexdigest(versions), versions


def check(function, versions):
    """The fingerprint of an unpickled LF with the package versions its sender saw (``versions``), and the
    third-party packages it uses that ``versions`` leaves out (a sender that missed one)."""
    f = Fingerprint()
    f.add(function)
    return f.hexdigest(versions), sorted(m for m in f.modules if m not in versions)
