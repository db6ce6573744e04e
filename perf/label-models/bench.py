"""Label-model benchmark: fit time and accuracy against the known truth, LabelFlight's generative model
vs Snorkel's LabelModel on the same synthetic label matrices (not a test; see perf/RESULTS.md).

Run from the repository root:  perf/label-models/run.sh
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "conformance"))
from snorkel_conformance import synthetic  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import memory_contract  # noqa: E402  (peak RSS against the memory contract, shared by the perf harnesses)

HEAP_MIB = 1024  # the fit's JVM; no server, so its direct-memory limit (= the heap) stands in for a budget

RUNS = 3
CASES = [(100_000, 20, 2), (100_000, 20, 3), (1_000_000, 20, 2), (1_000_000, 20, 3)]


def main(classpath):
    import torch
    from snorkel.labeling.model import LabelModel, MajorityLabelVoter

    torch.set_num_threads(1)
    d = tempfile.mkdtemp(prefix="lf-bench-")
    truths = {}
    for i, (n, m, k) in enumerate(CASES):
        name = f"bench-{i}-n{n}-k{k}"
        L, Y = synthetic(7 + i, n, m, k)
        truths[name] = (L, Y, k)
        with open(os.path.join(d, name + ".json"), "w") as f:
            json.dump({"name": name, "kind": "generative", "n": n, "m": m, "k": k, "gold": False}, f)
        np.ascontiguousarray(L.T).tofile(os.path.join(d, name + ".L.bin"))
    out = subprocess.run(["java", f"-Xmx{HEAP_MIB}m", "-XX:ActiveProcessorCount=1", "-cp", classpath,
                          "dev.labelflight.engine.labelmodel.LabelModelBenchmark", d, str(RUNS)],
                         check=True, capture_output=True, text=True).stdout
    ours = {r["name"]: r for r in map(json.loads, out.strip().splitlines())}
    java_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the only child so far
    bound = HEAP_MIB + HEAP_MIB + memory_contract.JVM_MARGIN_MIB
    print("| rows | LFs | classes | LabelFlight fit (median ms) | LabelFlight accuracy | Snorkel fit (median ms) "
          "| Snorkel accuracy | majority-vote accuracy |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, (L, Y, k) in truths.items():
        times = []
        for run in range(RUNS):
            start = time.perf_counter()
            model = LabelModel(cardinality=k, verbose=False)
            model.fit(L, n_epochs=500, lr=0.01, log_freq=100, seed=run, progress_bar=False)
            times.append(time.perf_counter() - start)
        theirs = float((model.predict(L, tie_break_policy="random") == Y).mean())
        mv = float((MajorityLabelVoter(cardinality=k).predict(L, tie_break_policy="random") == Y).mean())
        mine = float((np.fromfile(os.path.join(d, name + ".preds.bin"), dtype=np.int8) == Y).mean())
        n, m = L.shape
        print(f"| {n:,} | {m} | {k} | {ours[name]['fit_ms_median']:.0f} | {mine:.4f} | "
              f"{np.median(times) * 1000:.0f} | {theirs:.4f} | {mv:.4f} |")
    print(f"\nLabelFlight's fits (one JVM, -Xmx{HEAP_MIB}m, no server): peak RSS {java_peak:,.0f} MiB, bound "
          f"{bound:,} MiB (-Xmx + its direct-memory limit + {memory_contract.JVM_MARGIN_MIB}): "
          f"{'within' if java_peak <= bound else 'OVER'}; Snorkel (this Python process): peak RSS "
          f"{memory_contract.self_peak_rss_mib():,.0f} MiB.")


if __name__ == "__main__":
    main(sys.argv[1])
