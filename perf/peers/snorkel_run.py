"""The Snorkel peer (run by the Snorkel venv's python, see engine/conformance/setup-snorkel-venv.sh, which has
pandas and Snorkel but not pyarrow): ``python snorkel_run.py DATA_DIR SETS RUNS``.

Reads the subset the benchmark wrote as JSON lines (``snorkel.jsonl``), builds each set's LFs with the
LabelFlight client's own ``LF.to_snorkel`` (Python ``re``: the reference meaning) and plain Python functions
for expression LFs, applies them with ``PandasLFApplier``, saves ``L-snorkel-SET.npy`` and prints one JSON
line per set: times (after one untimed run), CPU seconds per run, peak RSS.
"""
import importlib.util
import json
import os
import resource
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import lfsets  # noqa: E402


def client_lfs_module():
    # labelflight/lfs.py needs only the standard library (and Snorkel inside to_snorkel); the package's
    # __init__ needs pyarrow, which this venv does not have, so the module is loaded from its file.
    spec = importlib.util.spec_from_file_location(
        "labelflight_lfs", os.path.join(ROOT, "clients", "python", "src", "labelflight", "lfs.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def vm_hwm_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    data, sets, runs = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
    from snorkel.labeling import LabelingFunction, PandasLFApplier
    lfs_module = client_lfs_module()
    df = pd.read_json(os.path.join(data, "snorkel.jsonl"), lines=True, dtype=False, precise_float=True)
    for set_name in sets:
        classes, lfs = lfsets.SETS[set_name]()
        functions = []
        for lf in lfs:
            if lf.python is not None:
                test, label = lf.python, lf.label
                functions.append(LabelingFunction(lf.name, lambda x, test=test, label=label: label if test(x) else -1))
            else:
                functions.append(lfs_module.LF.from_dict(lf.spec).to_snorkel(classes))
        applier = PandasLFApplier(functions)
        L = applier.apply(df, progress_bar=False)
        times, cpus = [], []
        for _ in range(runs):
            c0, t0 = cpu_seconds(), time.perf_counter()
            L = applier.apply(df, progress_bar=False)
            times.append(time.perf_counter() - t0)
            cpus.append(cpu_seconds() - c0)
        np.save(os.path.join(data, f"L-snorkel-{set_name}.npy"), L.astype(np.int8))
        print(json.dumps({"engine": "snorkel", "set": set_name, "rows": len(df), "times": times, "cpu": cpus,
                          "peak_mib": vm_hwm_mib(), "threads": 1}), flush=True)


if __name__ == "__main__":
    main()
