"""Label-model kinds side by side (not a test; see perf/RESULTS.md): every LabelFlight kind and `auto`
against Snorkel's LabelModel and majority vote, in one run, on synthetic matrices with known LF accuracies,
propensities and correlated LF groups (fixed seeds). Reports accuracy on the rows after the dev rows, the
error of the recovered LF accuracies, fit time, and what `auto` picked with dev gold.

Run from the repository root:  perf/label-models/kinds.sh
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

DEV_ROWS = 1000
# (name, rows, LFs, classes, correlated group size, copy rate)
CASES = [
    ("independent-k2", 100_000, 20, 2, 0, 0.0),
    ("independent-k4", 100_000, 20, 4, 0, 0.0),
    ("correlated-k2", 100_000, 20, 2, 8, 0.9),
    ("correlated-k3", 100_000, 30, 3, 12, 0.8),
]


def synthetic(seed, n, m, k, group, copy_rate):
    """Uniform classes; LF j votes with its propensity and is right with its accuracy (else a uniformly
    chosen wrong class); the last `group` LFs copy the vote of the first of them with `copy_rate` (a block
    of correlated LFs that majority vote over-counts)."""
    rng = np.random.default_rng(5000 + seed)
    Y = rng.integers(0, k, size=n)
    acc = rng.uniform(0.55, 0.92, size=m)
    prop = rng.uniform(0.15, 0.6, size=m)
    if group:
        acc[m - group:] = 0.6
    L = np.full((n, m), -1, dtype=np.int8)
    for j in range(m):
        votes = rng.random(n) < prop[j]
        right = rng.random(n) < acc[j]
        wrong = (Y + rng.integers(1, k, size=n)) % k
        L[votes, j] = np.where(right, Y, wrong)[votes]
        if group and j > m - group:
            leader = L[:, m - group]
            copy = (leader >= 0) & (rng.random(n) < copy_rate)
            L[copy, j] = leader[copy]
    # The effective accuracy of each LF when it votes (copies included), the truth to recover.
    eff = np.array([(L[L[:, j] >= 0, j] == Y[L[:, j] >= 0]).mean() for j in range(m)])
    return L, Y.astype(np.int8), eff


def main(classpath):
    import torch
    from snorkel.labeling.model import LabelModel, MajorityLabelVoter

    torch.set_num_threads(1)
    d = tempfile.mkdtemp(prefix="lf-kinds-")
    data = {}
    for i, (name, n, m, k, group, rate) in enumerate(CASES):
        L, Y, acc = synthetic(i, n, m, k, group, rate)
        data[name] = (L, Y, acc, k)
        with open(os.path.join(d, name + ".json"), "w") as f:
            json.dump({"name": name, "n": n, "m": m, "k": k, "dev": DEV_ROWS}, f)
        np.ascontiguousarray(L.T).tofile(os.path.join(d, name + ".L.bin"))
        Y.tofile(os.path.join(d, name + ".Y.bin"))
        acc.astype("<f8").tofile(os.path.join(d, name + ".acc.bin"))
    out = subprocess.run(["java", "-XX:ActiveProcessorCount=1", "-cp", classpath,
                          "dev.labelflight.engine.labelmodel.LabelModelKindsBenchmark", d],
                         check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.strip().splitlines()]
    print("| matrix | model | test accuracy | LF accuracy error (MAE) | fit (ms) | converged |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for name, (L, Y, acc, k) in data.items():
        test = slice(DEV_ROWS, None)
        for r in rows:
            if r["name"] != name:
                continue
            if "skipped" in r:
                print(f"| {name} | {r['kind']} | skipped: {r['skipped']} | | | |")
            elif r["kind"] == "auto":
                print(f"| {name} | **auto** (picked {r['picked']}) | {r['test_accuracy']:.4f} | | | |")
            else:
                mae = f"{r['acc_mae']:.3f}" if "acc_mae" in r else ""
                print(f"| {name} | LabelFlight {r['kind']} | {r['test_accuracy']:.4f} | {mae} | {r['fit_ms']:.0f} "
                      f"| {'yes' if r['converged'] else 'no'} ({r['iterations']} it.) |")
        start = time.perf_counter()
        model = LabelModel(cardinality=k, verbose=False)
        model.fit(L, seed=0, progress_bar=False)
        fit_ms = (time.perf_counter() - start) * 1000
        pred = model.predict(L[test], tie_break_policy="random")
        snorkel_mae = float(np.abs(model.get_weights() - acc).mean())
        print(f"| {name} | Snorkel LabelModel (defaults) | {(pred == Y[test]).mean():.4f} | {snorkel_mae:.3f} "
              f"| {fit_ms:.0f} | |")
        mv = MajorityLabelVoter(cardinality=k).predict(L[test], tie_break_policy="random")
        print(f"| {name} | Snorkel MajorityLabelVoter | {(mv == Y[test]).mean():.4f} | | | |")


if __name__ == "__main__":
    main(sys.argv[1])
