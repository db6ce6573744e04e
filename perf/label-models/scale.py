"""Label model at scale (issue #10): LabelFlight's generative model on a synthetic 1,000,000 rows x 1,000 LFs
x 50 classes vote matrix, fitted out-of-core (the matrix stays in a file, read chunk by chunk every EM
epoch), beside Snorkel's LabelModel on the largest sizes of a ladder it finishes in 10 minutes.

Run from the repository root:  perf/label-models/scale.sh [--quick] [--target] [--hard] [--size=ROWS,LFS,CLASSES]
(--target: only the largest size; --hard: about 2 two-sided votes per row whatever the number of LFs)
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

CHUNK_ROWS = 8192
SNORKEL_LIMIT_S = 600
SNORKEL_MEMORY = 10 << 30  # address-space cap of the Snorkel process (a shared machine)
TARGET = (1_000_000, 1_000, 50)
# Snorkel's ladder, smallest first; each size is also fitted by LabelFlight for the side by side.
LADDER = [(100_000, 100, 10), (1_000_000, 100, 10), (100_000, 300, 30)]


def synthetic(seed, n, m, k, hard=False):
    """Uniform true classes. LF j is about class j % k: one-sided LFs (4 of 5) fire on rows of their class
    with probability 0.05-0.4 and on other rows with 0.1-0.6 %, always voting their class; two-sided LFs
    (every 5th) vote on 10 % of rows, right with probability 0.3-0.8, else a uniformly chosen wrong class.
    hard: two-sided LFs vote on 10 % x 100 / m of rows, so about 2 of them vote per row whatever m."""
    two_sided = 0.1 * (100 / m if hard else 1)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n)
    dtype = np.int8 if k <= 127 else np.int16
    L = np.full((n, m), -1, dtype=dtype)
    for j in range(m):
        c = j % k
        if j % 5 == 4:
            votes = rng.random(n) < two_sided
            right = rng.random(n) < rng.uniform(0.3, 0.8)
            wrong = (y + rng.integers(1, k, size=n)) % k
            L[votes, j] = np.where(right, y, wrong)[votes]
        else:
            hit, false = rng.uniform(0.05, 0.4), rng.uniform(0.001, 0.006)
            fires = rng.random(n) < np.where(y == c, hit, false)
            L[fires, j] = c
    return L, y


def write(d, name, L, k):
    """Chunk-major file, as the label store keeps chunks: per chunk of CHUNK_ROWS rows, each LF's column."""
    n, m = L.shape
    with open(os.path.join(d, name + ".L.bin"), "wb") as f:
        for first in range(0, n, CHUNK_ROWS):
            f.write(np.ascontiguousarray(L[first:first + CHUNK_ROWS].T).tobytes())
    with open(os.path.join(d, name + ".json"), "w") as f:
        json.dump({"name": name, "n": n, "m": m, "k": k, "chunkRows": CHUNK_ROWS,
                   "bytes": L.dtype.itemsize}, f)


def ours(classpath, d, name):
    out = subprocess.run(["java", "-Xmx1g", "-XX:ActiveProcessorCount=1", "-cp", classpath,
                          "dev.labelflight.engine.labelmodel.LabelModelScaleBenchmark", d, name],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


SNORKEL_CHILD = r"""
import json, resource, sys, time
import numpy as np, torch
from snorkel.labeling.model import LabelModel
torch.set_num_threads(1)
d, name, n, m, k, rows, width = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:8])
raw = np.fromfile(f"{d}/{name}.L.bin", dtype=np.int8 if width == 1 else np.int16)
L = np.empty((n, m), dtype=raw.dtype)
at = 0
for first in range(0, n, rows):
    r = min(rows, n - first)
    L[first:first + r] = raw[at:at + r * m].reshape(m, r).T
    at += r * m
del raw
start, cpu = time.perf_counter(), time.process_time()
model = LabelModel(cardinality=k, verbose=False)
model.fit(L, n_epochs=100, seed=0, progress_bar=False)
fit, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
preds = model.predict(L, tie_break_policy="random")
np.save(f"{d}/{name}.snorkel.npy", preds)
print(json.dumps({"fit_s": fit, "fit_cpu_s": fit_cpu, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def snorkel(d, name, n, m, k, width):
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (SNORKEL_MEMORY, SNORKEL_MEMORY))
    try:
        p = subprocess.run([sys.executable, "-c", SNORKEL_CHILD, d, name, str(n), str(m), str(k), str(CHUNK_ROWS),
                            str(width)], capture_output=True, text=True, timeout=SNORKEL_LIMIT_S, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return {"status": f"not done in {SNORKEL_LIMIT_S // 60} min"}
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["?"])[-1]
        return {"status": "failed: " + last[:120]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def accuracy(preds, y):
    return float((preds == y).mean())


def main(classpath, quick, only_target, hard, size=None):
    d = tempfile.mkdtemp(prefix="lf-scale-")
    print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores)", flush=True)
    sizes = [] if only_target else [(n // 10, m, k) for n, m, k in LADDER[:2]] if quick else LADDER
    target = size or ((100_000, 1_000, 50) if quick else TARGET)
    # The fit's JVM (-Xmx1g, no server): its direct-memory limit (= the heap) stands in for a budget in the bound.
    print("| rows | LFs | classes | LabelFlight fit (s, wall / CPU) | epochs | peak heap (MiB) "
          "| max RSS / bound (MiB: -Xmx + direct limit + 256) | LabelFlight accuracy "
          "| Snorkel fit (s, wall / CPU) | Snorkel max RSS (MiB) | Snorkel accuracy | majority-vote accuracy |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", flush=True)
    for i, (n, m, k) in enumerate(sizes + [target]):
        name = f"scale-n{n}-m{m}-k{k}"
        L, y = synthetic(11 + i, n, m, k, hard)
        write(d, name, L, k)
        mv = majority(L, k, y)
        del L
        r = ours(classpath, d, name)
        mine = accuracy(np.fromfile(os.path.join(d, name + ".preds.bin"), dtype=np.int16), y)
        s = snorkel(d, name, n, m, k, 1 if k <= 127 else 2)
        if "fit_s" in s:
            theirs = accuracy(np.load(os.path.join(d, name + ".snorkel.npy")), y)
            sn = f"{s['fit_s']:.1f} / {s['fit_cpu_s']:.1f} | {s['max_rss_mb']:.0f} | {theirs:.4f}"
        else:
            sn = f"{s['status']} | - | -"
        print(f"| {n:,} | {m:,} | {k} | {r['fit_ms'] / 1000:.1f} / {r['fit_cpu_ms'] / 1000:.1f} | {r['epochs']} | {r['peak_heap_mb']:.0f} | "
              f"{r['max_rss_mb']:.0f} / {1024 + 1024 + 256} | {mine:.4f} | {sn} | {mv:.4f} |", flush=True)
        for f in os.listdir(d):
            if f.startswith(name + "."):
                os.remove(os.path.join(d, f))


def majority(L, k, y):
    """Majority vote accuracy with random tie breaks (numpy, row blocks)."""
    rng = np.random.default_rng(0)
    right = 0
    for first in range(0, L.shape[0], 50_000):
        block = L[first:first + 50_000].astype(np.int64)
        counts = np.zeros((block.shape[0], k), dtype=np.int32)
        rows, cols = np.nonzero(block >= 0)
        np.add.at(counts, (rows, block[rows, cols]), 1)
        noise = rng.random(counts.shape) * 0.5
        right += int((np.argmax(counts + noise, axis=1) == y[first:first + 50_000]).sum())
    return right / L.shape[0]


if __name__ == "__main__":
    sized = [a.split("=", 1)[1] for a in sys.argv[2:] if a.startswith("--size=")]
    main(sys.argv[1], "--quick" in sys.argv[2:], "--target" in sys.argv[2:] or bool(sized), "--hard" in sys.argv[2:],
         tuple(int(x) for x in sized[0].split(",")) if sized else None)
