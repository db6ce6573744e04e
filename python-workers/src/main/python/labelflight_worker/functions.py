"""Checking and unpickling a job's Python LFs, with errors that name the LF and what is missing."""

import importlib.metadata
import sys

from . import fingerprint

PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"


class LfError(Exception):
    """An LF cannot run (or failed): ``kind`` says why, ``lf`` names it, ``row`` is a dataset row or None."""

    def __init__(self, kind, lf, message, row=None, extra=None):
        super().__init__(message)
        self.kind, self.lf, self.row, self.extra = kind, lf, row, extra or {}

    def to_json(self):
        out = {"kind": self.kind, "lf": self.lf, "message": str(self)}
        if self.row is not None:
            out["row"] = self.row
        out.update(self.extra)
        return out


class Lf:
    """One loaded LF: its name, the callable, row or batch, fault tolerance, and preprocessors to reset."""

    def __init__(self, name, fn, batch, fault_tolerant):
        self.name, self.fn, self.batch, self.fault_tolerant = name, fn, batch, fault_tolerant
        self.mappers = list(_mappers(fn))
        # A memoizing preprocessor may arrive with the cache of a run on the client (Snorkel fills it in
        # PandasLFApplier): its entries are the client's data points, not ours.
        self.reset_caches()

    def reset_caches(self):
        # Snorkel's memoizing preprocessors keep every row they saw; a chunk's rows are not seen again.
        for m in self.mappers:
            m.reset_cache()


def _installed(package):
    dists = importlib.metadata.packages_distributions().get(package, [package])
    for dist in dists:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _major_minor(version):
    return ".".join(version.split(".")[:2])


def load(spec, pickled):
    """Checks one LF's spec against this interpreter and its packages, then unpickles it."""
    name = spec["name"]
    python = spec.get("python", "")
    if python != PYTHON:
        raise LfError("python_version", name, f"LF '{name}' was pickled under Python {python}; "
                      f"the Python workers run Python {PYTHON} (the minor versions must match)")
    for package, version in sorted(spec.get("imports", {}).items()):
        have = _installed(package)
        if have is None:
            raise LfError("missing_module", name, f"LF '{name}' needs module '{package}', which the Python "
                          f"workers' environment lacks (add it to python.packages in the server configuration)",
                          extra={"module": package})
        if _major_minor(have) != _major_minor(version):
            raise LfError("package_version", name, f"LF '{name}' uses {package} {version} on the client; the "
                          f"Python workers have {package} {have} (major.minor must match)",
                          extra={"module": package})
    import cloudpickle
    try:
        fn = cloudpickle.loads(pickled)
    except ModuleNotFoundError as e:
        raise LfError("missing_module", name, f"LF '{name}' needs module '{e.name}', which the Python workers' "
                      f"environment lacks (add it to python.packages in the server configuration)",
                      extra={"module": e.name or ""}) from None
    except Exception as e:  # noqa: BLE001 - anything user state raises while unpickling
        raise LfError("unpickle", name, f"LF '{name}' cannot be unpickled: {type(e).__name__}: {e}") from None
    if not callable(fn):
        raise LfError("not_callable", name, f"LF '{name}' is a {type(fn).__name__}, not a function")
    got, unlisted = fingerprint.check(fn, spec.get("imports", {}))
    if unlisted:
        # Packages met while walking the function that the client could not name a version for: the
        # worker checks at least that they are here.
        missing = [m for m in unlisted if _installed(m) is None and m not in sys.modules]
        if missing:
            raise LfError("missing_module", name, f"LF '{name}' needs module '{missing[0]}', which the Python "
                          f"workers' environment lacks", extra={"module": missing[0]})
    if got != spec["fingerprint"]:
        raise LfError("fingerprint", name, f"LF '{name}': the worker's fingerprint of the function differs from "
                      f"the client's (are the labelflight client and server of the same version?)")
    return Lf(name, fn, spec.get("mode") == "batch", bool(spec.get("faultTolerant")))


def _mappers(fn, seen=None):
    seen = seen if seen is not None else set()
    for m in getattr(fn, "_pre", None) or ():
        if id(m) in seen:
            continue
        seen.add(id(m))
        if hasattr(m, "reset_cache"):
            yield m
        yield from _mappers(m, seen)
