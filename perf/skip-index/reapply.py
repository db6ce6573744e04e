"""Issue 8's re-apply row alone: the 10-LF set of perf/compare/bench.py over 1,000,000 seeded reviews, resident,
then N re-applies each adding one keyword to kw_praise (nine LFs from the label cache), through the Python client,
from the apply call to the label DataFrame in hand (as bench.py's "edit" row). Prints p50 / p90 / min and the
server's job elapsedMillis / evalMillis medians, p99, and the server's peak RSS against the memory contract.

Run from the repository root:  python3 perf/skip-index/reapply.py [--root DIR] [--runs N]
(--root: the checkout whose server jar, client and bench definitions to use; default this one.)
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--xmx", default="2g")
    ap.add_argument("--budget-mib", type=int, default=1536)
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(args.root, "perf", "compare"))
    sys.path.insert(0, os.path.join(args.root, "clients", "python", "src"))
    import bench
    import labelflight as lf
    workdir = tempfile.mkdtemp(prefix="lf-reapply-")
    table = bench.generate(args.rows, 8)
    proc, location, _, memory = bench.start_server(args, workdir)
    try:
        with lf.connect(location) as c:
            c.upload(table, "reviews", progress=False)
            labels = ["HAM", "SPAM"]
            c.apply("reviews", bench.labelflight_lfs(), labels=labels, mode="resident")  # load + fill the cache
            words = ["gift", "sturdy", "quiet", "durable", "design", "bright", "comfortable", "seller", "manual",
                     "charger", "honestly", "overall"]
            times, jobs, evals = [], [], []
            for run in range(args.runs + 3):
                edit = f"{words[run % len(words)]}{run}"
                t0 = time.perf_counter()
                frame = c.apply("reviews", bench.labelflight_lfs(edit=edit), labels=labels, mode="resident")
                elapsed = time.perf_counter() - t0
                st = c.status(frame)
                assert st["path"] == "resident" and st["computedLfs"] == ["kw_praise"], st
                assert len(frame) == args.rows
                if run >= 3:  # the first three warm the JIT
                    times.append(elapsed * 1000)
                    jobs.append(st["elapsedMillis"])
                    evals.append(st["evalMillis"])
            times.sort()
            print(f"re-apply, kw_praise + 1 keyword, {args.rows:,} rows, {len(times)} runs: "
                  f"p50 {statistics.median(times):.0f} ms, p90 {times[int(len(times) * 0.9) - 1]:.0f} ms, "
                  f"p99 {times[max(0, -(-len(times) * 99 // 100) - 1)]:.0f} ms, "
                  f"min {times[0]:.0f} ms, max {times[-1]:.0f} ms; server job p50 {statistics.median(jobs):.0f} ms, "
                  f"evalMillis p50 {statistics.median(evals):.0f} ms")
            print(memory.measure().summary())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
