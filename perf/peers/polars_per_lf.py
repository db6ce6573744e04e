"""Polars' and DuckDB's time per LF alone, to set beside EngineProfile's per-LF table (perf/peers/profile.sh):

    POLARS_MAX_THREADS=1 PEERS_VENV/bin/python perf/peers/polars_per_lf.py DIR [--runs 3] [--threads 1]

DIR is what ``bench.py export`` wrote (messages.arrow); thread CPU time is not available from Python, so
these are process CPU seconds (user + system) of each LF's ``select`` / query, median of the runs, one thread.
"""
import argparse
import os
import resource
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lfsets  # noqa: E402


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sets", default="spam,support")
    args = ap.parse_args()
    import duckdb
    import polars as pl
    import pyarrow as pa
    with pa.memory_map(os.path.join(args.dir, "messages.arrow")) as f:
        table = pa.ipc.open_file(f).read_all()
    df = pl.from_arrow(table)
    con = duckdb.connect()
    con.execute(f"SET threads TO {args.threads}")
    con.register("src", table)
    con.execute("CREATE TABLE t AS SELECT * FROM src")

    def measure(fn):
        fn()
        xs = []
        for _ in range(args.runs):
            c0 = cpu()
            fn()
            xs.append(cpu() - c0)
        return statistics.median(xs) * 1000

    print(f"{df.height:,} rows; CPU ms per LF alone, median of {args.runs} after a warm-up; "
          f"threads {pl.thread_pool_size()} (Polars) / {args.threads} (DuckDB)\n")
    for set_name in args.sets.split(","):
        _, lfs = lfsets.SETS[set_name]()
        print(f"Set `{set_name}`\n\n| LF | kind | Polars ms | DuckDB ms |\n| --- | --- | ---: | ---: |")
        for lf in lfs:
            e = lf.polars()
            p = measure(lambda: df.select(e.fill_null(False)).to_series().sum())
            d = measure(lambda: con.execute(f"SELECT count(*) FILTER (WHERE coalesce({lf.duckdb}, false)) FROM t")
                        .fetchone())
            print(f"| {lf.name} | {lf.kind} | {p:.0f} | {d:.0f} |", flush=True)
        print()


if __name__ == "__main__":
    main()
