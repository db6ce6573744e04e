"""Derived-column benchmark (issue 10): time for the server to compute and store each kind of derived column
over a generated text column (DoAction derive: read every chunk, compute, write checksummed Arrow files), side
by side with pandas computing the same column in memory (what a Snorkel preprocessor does, per process, on
every run), and the time of an LF over the stored column. Prints a Markdown table for perf/RESULTS.md; each
figure is the median of RUNS runs (each run derives a new column name, so nothing is reused).

Started by run.sh, which prepares the venv and the server jar. Reuses the data generator and server start of
perf/flight-throughput/bench.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import statistics
import tempfile
import time
from pathlib import Path

import labelflight as lf

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("throughput", ROOT / "perf" / "flight-throughput" / "bench.py")
throughput = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(throughput)

KINDS = [("lowercase", None, lambda s: s.str.lower()),
         ("length", None, lambda s: s.str.len()),
         ("token_count", None, lambda s: s.str.split().str.len()),
         ("regex_extract", r"(fr\w+)", lambda s: s.str.extract(r"(fr\w+)", expand=False))]


def median_seconds(fn, runs: int) -> float:
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--xmx", default="1g")
    parser.add_argument("--budget-mib", type=int, default=960, help="direct-memory limit = this + 64 MiB")
    args = parser.parse_args()
    table = throughput.make_table(int(args.rows * 149.5), seed=10).slice(0, args.rows)
    text = table.column("text").to_pandas()
    started: list = []
    with tempfile.TemporaryDirectory(prefix="lf-derive-") as tmp:
        try:
            location, memory = throughput.start_labelflight(
                throughput.ROOT / "server" / "target" / "labelflight-server.jar", Path(tmp) / "data",
                Path(tmp) / "server.log", args.xmx, args.budget_mib, [], {}, started)
            with lf.connect(location) as c:
                c.upload(table, "bench", progress=False)
                rows = []
                for kind, pattern, pandas_fn in KINDS:
                    server = median_seconds(
                        lambda i: c.derive("bench", f"{kind}_{i}", kind, "text", pattern=pattern), args.runs)
                    pandas = median_seconds(lambda i: pandas_fn(text), args.runs)
                    rows.append((kind, server, pandas))
                apply_derived = median_seconds(lambda i: c.apply(
                    "bench", [lf.numeric(f"long_{i}", "token_count_0", ">=", 20 + i, label="B")], labels=["A", "B"]),
                    args.runs)
                memory.measure()
        finally:
            for proc in started:
                throughput.stop(proc)
    print(f"`perf/derive/run.sh --rows {args.rows} --runs {args.runs}`: {args.rows:,} rows, text ~120 bytes"
          f" (2% null), {platform.machine()}, {args.runs} runs, medians.\n")
    print("| derived column | LabelFlight derive (stored) | pandas in memory (per run) | rows/s LabelFlight |")
    print("| --- | ---: | ---: | ---: |")
    for kind, server, pandas in rows:
        print(f"| {kind} | {server:.2f} s | {pandas:.2f} s | {args.rows / server / 1e6:.1f} M |")
    print(f"\nA numeric LF over the stored `token_count` column, applied and read back as a DataFrame"
          f" (a new LF each run, so computed): {apply_derived:.2f} s.")
    print(f"\n{memory.summary()}.")


if __name__ == "__main__":
    main()
