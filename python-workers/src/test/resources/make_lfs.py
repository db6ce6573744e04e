"""Pickles the test LFs of PythonWorkerPoolTest the way the client does and prints their specs as JSON.
argv: the worker package directory (for the fingerprint module), a scratch directory."""
import base64
import ctypes
import json
import os
import sys
import time

sys.path.insert(0, sys.argv[1])
import cloudpickle  # noqa: E402
import numpy as np  # noqa: E402
from labelflight_worker import fingerprint  # noqa: E402

# A module that exists here but not in the workers' environment: functions that use it cannot be unpickled there.
scratch = sys.argv[2]
with open(os.path.join(scratch, "lf_only_on_client.py"), "w") as f:
    f.write("def spammy(text):\n    return 'free' in text\n")
sys.path.insert(0, scratch)
import lf_only_on_client  # noqa: E402

KEYWORDS = {"free", "winner", "money"}


def kw(x):
    return 1 if any(k in x.text.lower() for k in KEYWORDS) else -1


def short(x):
    return 0 if len(x.text) < 12 else -1


def batch_stars(df):
    return np.where(df.stars >= 4, 0, -1)


def raises(x):
    if x.stars == 3:
        raise ValueError("three stars are bad luck")
    return -1


def not_int(x):
    return "SPAM" if x.stars == 2 else -1


def out_of_range(x):
    return 7 if x.stars == 5 else -1


def hangs(x):
    if x.stars == 4:
        while True:
            time.sleep(0.001)
    return -1


def hog(x):
    block = []
    while True:
        block.append(bytearray(8 << 20))


def segfault(x):
    if x.stars == 2:
        ctypes.string_at(0)
    return -1


def missing_module(x):
    return 1 if lf_only_on_client.spammy(x.text) else -1


def crash_in_template(x):
    # Kills the process it runs in when that is a template (whose parent is the JVM), not in a worker: the
    # template's warm-up dies, and the pool loads the set again without warming.
    with open(f"/proc/{os.getppid()}/comm") as f:
        if f.read().startswith("java"):
            ctypes.string_at(0)
    return -1


def slow(x):
    time.sleep(0.002)
    return -1


def spec(name, f, mode="row", **extra):
    fp, versions = fingerprint.of(f)
    out = {"name": name, "kind": "python", "pickle": base64.b64encode(cloudpickle.dumps(f)).decode(),
           "fingerprint": fp, "python": f"{sys.version_info[0]}.{sys.version_info[1]}", "imports": versions,
           "mode": mode}
    out.update(extra)
    return out


try:
    from snorkel.labeling import labeling_function
    from snorkel.preprocess import preprocessor

    @preprocessor(memoize=True)
    def lower(x):
        x.low = x.text.lower()
        return x

    @labeling_function(pre=[lower], resources={"words": ["winner"]})
    def snorkel_lf(x, words):
        return 1 if any(w in x.low for w in words) else -1
    # As after a local PandasLFApplier run: the memoizing preprocessor holds a data point of this chunk (row 2),
    # which loses the field the preprocessor set when pickled. The worker must not serve it from that cache.
    import pandas as pd
    snorkel_lf(pd.Series({"text": "you are a WINNER", "stars": 3}))
    assert len(lower._cache) == 1
    snorkel = [spec("snorkel_lf", snorkel_lf)]
except ImportError:
    snorkel = []

specs = [spec("kw", kw), spec("short", short), spec("batch_stars", batch_stars, mode="batch"),
         spec("raises", raises), spec("raises_ft", raises, faultTolerant=True), spec("not_int", not_int),
         spec("out_of_range", out_of_range), spec("hangs", hangs), spec("hog", hog), spec("segfault", segfault),
         spec("missing_module", missing_module), spec("slow", slow),
         spec("crash_in_template", crash_in_template)] + snorkel
print(json.dumps({s["name"]: s for s in specs}))
