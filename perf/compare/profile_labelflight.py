"""Where LabelFlight's resident apply spends its time, next to pyarrow.compute per LF (see perf/RESULTS.md,
"Side by side (issue 8)"). Not a benchmark of record: a quick breakdown for the findings.

Run from the repository root:  perf/compare/.venv/bin/python perf/compare/profile_labelflight.py [--rows N]

Per resident apply: the apply action's round trip, the wait until the server says the job ended, the
label stream into a DataFrame, the server's evalMillis, and the JVM's CPU seconds over the job (CPU /
wall says how many cores it kept busy). Then each LF alone (server evalMillis and wall) vs the same LF
in pyarrow.compute on one thread.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pyarrow_single(table, j):
    """LF j alone in pyarrow.compute (same code as bench.vectorized, one column)."""
    import pyarrow.compute as pc
    text = table.column("text")
    if j < len(bench.KW):
        lower = pc.ascii_lower(text)
        kws = bench.KW[j][1]
        m = pc.match_substring(lower, kws[0])
        for k in kws[1:]:
            m = pc.or_(m, pc.match_substring(lower, k))
    elif j < len(bench.KW) + len(bench.RE):
        m = pc.match_substring_regex(text, bench.RE[j - len(bench.KW)][1])
    elif j == 7:
        m = pc.less_equal(table.column("stars"), 1)
    elif j == 8:
        m = pc.less(table.column("price"), 10.0)
    else:
        m = pc.and_(pc.greater_equal(table.column("stars"), 4), pc.less(pc.utf8_length(text), 90))
    return np.where(m.to_numpy(zero_copy_only=False), 1, -1).astype(np.int8)


def main():
    import labelflight as lf
    import pyarrow as pa
    import pyarrow.parquet as pq
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--xmx", default="2g")
    ap.add_argument("--budget-mib", type=int, default=1536)
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="lf-profile-")
    table = bench.generate(args.rows, 8)
    pa.set_cpu_count(1)
    proc, location, _ = bench.start_server(args, workdir)
    counter = iter(range(10**6))
    try:
        with lf.connect(location) as c:
            c.upload(table, "reviews", progress=False)
            lfs = bench.labelflight_lfs()
            c.apply("reviews", lfs, labels=["H", "S"], mode="resident")  # loads the resident copy
            print("| run | action ms | server job ms (wait) | labels into DataFrame ms | total ms | evalMillis "
                  "| JVM CPU s / wall s |")
            print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            for run in range(args.runs + 1):
                i = next(counter)
                cpu0 = cpu_seconds(proc.pid)
                t0 = time.perf_counter()
                job = c.apply("reviews", lfs, labels=[f"H{i}", f"S{i}"], mode="resident", wait=False)
                t1 = time.perf_counter()
                st = job.wait(poll=0.002)
                t2 = time.perf_counter()
                job.to_pandas()
                t3 = time.perf_counter()
                cpu = cpu_seconds(proc.pid) - cpu0
                if run:
                    print(f"| {run} | {(t1 - t0) * 1000:.0f} | {(t2 - t1) * 1000:.0f} | {(t3 - t2) * 1000:.0f} | "
                          f"{(t3 - t0) * 1000:.0f} | {st['evalMillis']} | {cpu / (t3 - t0):.2f} |")
            print()
            print("| LF | LabelFlight alone: wall ms | evalMillis | pyarrow.compute 1 thread ms |")
            print("| --- | ---: | ---: | ---: |")
            for j, spec in enumerate(lfs):
                walls, evals, pas = [], [], []
                for run in range(args.runs + 1):
                    i = next(counter)
                    t0 = time.perf_counter()
                    frame = c.apply("reviews", [spec], labels=[f"H{i}", f"S{i}"], mode="resident")
                    walls.append(time.perf_counter() - t0)
                    evals.append(c.status(frame)["evalMillis"])
                    t0 = time.perf_counter()
                    pyarrow_single(table, j)
                    pas.append(time.perf_counter() - t0)
                print(f"| {bench.LF_NAMES[j]} | {statistics.median(walls[1:]) * 1000:.0f} | "
                      f"{statistics.median(evals[1:]):.0f} | {statistics.median(pas[1:]) * 1000:.0f} |")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
